#!/usr/bin/env bash
# `make hgclip-demo`: HGCLIP that visibly learns, offline, on the CPU. hgclip-train writes a
# generated shape/colour image set (coarse classes: circle, square, triangle; fine classes: each
# shape in red, green and blue), a randomly initialised ViT-B/32-shaped CLIP comes from
# hc init-model, and the test split's per-level accuracy of the plain CLIP (method zeroshot) is
# printed beside that of HGCLIP trained for EPOCHS epochs (configs/hgclip/demo.yaml). MODEL=...
# (a folder, weights file or cached hub id of a CLIP with at least 9 layers a tower) replaces the
# random model.
#   scripts/hgclip-demo.sh BUILD_DIR SHARED_DIR [EPOCHS]
set -euo pipefail
build="${1:-build}"
shared="${2:-../shared}"
epochs="${3:-${EPOCHS:-4}}"
bin="$build/bin"
model="${MODEL:-$build/demo-model}"
out="runs/hgclip-demo"
data="$out/shapes"

vocab="$shared/data/clip-tokenizer"
if [ ! -d "$vocab" ]; then vocab="${HC_VOCAB:-data/downloads/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz}"; fi
if [ -z "${MODEL:-}" ] && [ ! -d "$model" ]; then
  echo "== hgclip-demo: writing a random ViT-B/32-shaped checkpoint to $model (hc init-model)" >&2
  "$bin/hc" init-model --arch ViT-B-32 --seed 0 --vocab "$vocab" --out "$model" >/dev/null
fi
mkdir -p "$out"
if [ ! -d "$data/images" ]; then
  echo "== hgclip-demo: writing the shape/colour set to $data" >&2
  "$bin/hgclip-train" --write-shapes "$data" --set synthetic.images_per_class=40 \
    --set synthetic.image_size=224 --set data.train="$data/images" >/dev/null
fi

run() {  # METHOD OUTPUT [ARGS...]
  local method="$1" output="$2"
  shift 2
  "$bin/hgclip-train" --config configs/hgclip/demo.yaml --model "$model" \
    --set hierarchy.file="$PWD/$data/hierarchy.txt" --set data.train="$PWD/$data/images" \
    --method "$method" --output "$output" "$@"
}

echo "== hgclip-demo: zero-shot CLIP (before)" >&2
run zeroshot "$out/before.json"
echo "== hgclip-demo: HGCLIP, $epochs epochs" >&2
run hgclip "$out/after.json" --epochs "$epochs" --out "$out/model" --force \
  --checkpoint-dir "$out/checkpoint"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
before = json.load(open(f"{out}/before.json"))
after = json.load(open(f"{out}/after.json"))
m = after["metrics"]
print(f"\n== hgclip-demo: {m['steps']} steps on {m['images']['train']} images in "
      f"{after['elapsed_s'] / 60:.1f} min ({m['speed']['images_per_s']:.1f} training images/s)")
print(f"{'level':<8} {'zero-shot top-1':>16} {'HGCLIP top-1':>13}")
for level, block in after["test"]["levels"].items():
    print(f"{level:<8} {before['test']['levels'][level]['top1']:>16.3f} {block['top1']:>13.3f}")
print(f"{'path consistency':<25} {before['test']['consistency']['path']:.3f} -> "
      f"{after['test']['consistency']['path']:.3f}")
PY

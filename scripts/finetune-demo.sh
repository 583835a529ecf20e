#!/usr/bin/env bash
# `make finetune-demo`: RE fine-tuning that visibly learns, offline, on the CPU. A randomly
# initialised ViT-B/32-shaped CLIP (hc init-model, the same as `make demo`) is fine-tuned with the
# RE loss on the HierarCaps expanded set minus every row whose image is one of the 1000 test
# images (a real, disjoint training set) for a bounded number of steps; hc-retrieve scores the
# 1000-row test set before and after, and the d_corr of both is printed beside the calibration
# baselines (d_corr of radii that use no model: character length, token count).
#   scripts/finetune-demo.sh BUILD_DIR SHARED_DIR [STEPS]
set -euo pipefail
build="${1:-build}"
shared="${2:-../shared}"
steps="${3:-${STEPS:-60}}"
bin="$build/bin"
model="$build/demo-model"
out="runs/finetune-demo"

vocab="$shared/data/clip-tokenizer"
if [ ! -d "$vocab" ]; then vocab="${HC_VOCAB:-data/downloads/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz}"; fi
hierarcaps="$shared/data/hierarcaps"
for f in hierarcaps_test.csv hierarcaps_test_expanded.csv.gz test_imgs; do
  if [ ! -e "$hierarcaps/$f" ]; then
    echo "finetune-demo: $hierarcaps/$f is missing: the demo needs the HierarCaps test set, its" \
         "images and the expanded set (data/README or SHARED=...)" >&2
    exit 2
  fi
done
test_csv="$hierarcaps/hierarcaps_test.csv"

if [ ! -d "$model" ]; then
  echo "== finetune-demo: writing a random ViT-B/32-shaped checkpoint to $model (hc init-model)" >&2
  "$bin/hc" init-model --arch ViT-B-32 --seed 0 --vocab "$vocab" --out "$model" >/dev/null
fi
mkdir -p "$out"

retrieve() {  # MODEL OUTPUT
  "$bin/hc-retrieve" --config configs/eval/demo.yaml --model "$1" --csv "$test_csv" \
    --images "$hierarcaps/test_imgs" --output "$2"
}

echo "== finetune-demo: hc-retrieve before fine-tuning" >&2
retrieve "$model" "$out/before.json"

echo "== finetune-demo: hc-finetune, $steps steps on the expanded set minus the test images" >&2
"$bin/hc-finetune" --config configs/finetune/official.yaml --config configs/finetune/demo.yaml \
  --model "$model" --data "$hierarcaps/hierarcaps_test_expanded.csv.gz" \
  --exclude-images "$test_csv" --max-steps "$steps" --out "$out/model" --force \
  --checkpoint-dir "$out/checkpoint" --output "$out/finetune.json"

echo "== finetune-demo: hc-retrieve after fine-tuning" >&2
retrieve "$out/model" "$out/after.json"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
before = json.load(open(f"{out}/before.json"))["metrics"]
after = json.load(open(f"{out}/after.json"))["metrics"]
run = json.load(open(f"{out}/finetune.json"))
b = before["baselines"]
print(f"\n== finetune-demo: {run['metrics']['steps']} steps on {run['metrics']['train_rows']} rows "
      f"in {run['elapsed_s'] / 60:.1f} min")
print(f"   {'':28} {'d_corr':>8} {'precision':>10} {'recall':>8}")
print(f"   {'random model, before':28} {before['d_corr']:8.4f} {before['precision']:10.4f} {before['recall']:8.4f}")
print(f"   {'fine-tuned, after':28} {after['d_corr']:8.4f} {after['precision']:10.4f} {after['recall']:8.4f}")
for name in ("char_length", "token_count"):
    value = b.get(name, {}).get("d_corr")
    if value is not None:
        print(f"   {'baseline: ' + name.replace('_', ' '):28} {value:8.4f}")
print(f"   results: {out}/before.json, {out}/after.json, {out}/finetune.json; loss curve: {out}/loss.svg")
PY

#!/usr/bin/env bash
# `make demo`: the main job, offline. A randomly initialised ViT-B/32-shaped CLIP (hc init-model)
# runs HierarCaps hierarchical retrieval over the test set from the shared data when present,
# else over a small synthetic sample hc-retrieve generates. Its scores are meaningless (random
# weights); the run shows the pipeline and the calibration baselines. Re-runs reuse the
# embedding cache.
#   scripts/demo.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build="${1:-build}"
shared="${2:-../shared}"
bin="$build/bin"
model="$build/demo-model"

vocab="$shared/data/clip-tokenizer"
if [ ! -d "$vocab" ]; then vocab="${HC_VOCAB:-data/downloads/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz}"; fi

if [ ! -d "$model" ]; then
  echo "== demo: writing a random ViT-B/32-shaped checkpoint to $model (hc init-model, seed 0)" >&2
  "$bin/hc" init-model --arch ViT-B-32 --seed 0 --vocab "$vocab" --out "$model" >/dev/null
fi

hierarcaps="$shared/data/hierarcaps"
if [ -f "$hierarcaps/hierarcaps_test.csv" ] && [ -d "$hierarcaps/test_imgs" ]; then
  csv="$hierarcaps/hierarcaps_test.csv"
  images="$hierarcaps/test_imgs"
  what="the HierarCaps test set (1000 rows, 1000 images)"
else
  sample="$build/demo-data"
  csv="$("$bin/hc-retrieve" --write-synthetic "$sample")"
  images="$sample/images"
  what="a synthetic sample ($csv; the HierarCaps test set is not in $shared)"
fi

out="runs/demo/hierarcaps-random-vit-b-32.json"
echo "== demo: hc-retrieve with the RANDOM model (its scores are meaningless) over $what" >&2
"$bin/hc-retrieve" --config configs/eval/demo.yaml --model "$model" --csv "$csv" \
  --images "$images" --output "$out"

cat >&2 <<EOF

== demo: done; result in $out
   NOTE: the model is RANDOMLY INITIALISED (hc init-model): its precision, recall and R@K above
   are MEANINGLESS, they only show that the pipeline runs end to end. Its d_corr is not
   evidence of anything learnt either: it is a calibration point, like the baselines printed
   beside it (d_corr of radii that use no model at all: character length, token count). A
   trained model's d_corr means something only above all of these. For real numbers:
     $bin/hc fetch openai/clip-vit-base-patch32     (once, with the network)
     make hierarcaps MODEL=openai/clip-vit-base-patch32
EOF

#!/usr/bin/env bash
# Fetches the public datasets hc evaluates on into data/downloads/ (or $1), from their original
# sources. Nothing in the build or the tests downloads anything; run this once by hand.
#   data/fetch.sh [DEST] [hierarcaps|hyperlex|breeds|clip|all]
set -euo pipefail
dest="${1:-$(dirname "$0")/downloads}"
what="${2:-all}"
mkdir -p "$dest"

fetch() {  # url file
  if [ -s "$2" ]; then echo "have $2"; return; fi
  echo "fetching $1" >&2
  curl -fL --retry 3 -o "$2.part" "$1" && mv "$2.part" "$2"
}

hierarcaps() {
  local d="$dest/hierarcaps" base="https://raw.githubusercontent.com/TAU-VAILab/hierarcaps/main"
  mkdir -p "$d/test_imgs"
  fetch "$base/data/hierarcaps_test.csv" "$d/hierarcaps_test.csv"
  fetch "$base/data/hierarcaps_test_expanded.csv.gz" "$d/hierarcaps_test_expanded.csv.gz"
  # The test images are MS-COCO val2014 images named by the CSV's image_url column.
  tail -n +2 "$d/hierarcaps_test.csv" | grep -o 'http://images.cocodataset.org/[^,"]*' | sort -u |
    while read -r url; do fetch "$url" "$d/test_imgs/$(basename "$url")"; done
}

hyperlex() {
  local d="$dest/hyperlex"
  mkdir -p "$d"
  fetch "https://github.com/cambridgeltl/hyperlex/raw/master/hyperlex-data.zip" "$d/hyperlex-data.zip"
  (cd "$d" && unzip -oq hyperlex-data.zip)
}

breeds() {
  local d="$dest/breeds/modified"
  local base="https://raw.githubusercontent.com/MadryLab/BREEDS-Benchmarks/master/imagenet_class_hierarchy/modified"
  mkdir -p "$d"
  for f in class_hierarchy.txt node_names.txt dataset_class_info.json; do fetch "$base/$f" "$d/$f"; done
}

clip() {
  local d="$dest/clip-tokenizer"
  mkdir -p "$d"
  fetch "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz" \
        "$d/bpe_simple_vocab_16e6.txt.gz"
  fetch "https://raw.githubusercontent.com/openai/CLIP/main/data/prompts.md" "$d/prompts.md"
}

case "$what" in
  hierarcaps) hierarcaps ;;
  hyperlex) hyperlex ;;
  breeds) breeds ;;
  clip) clip ;;
  all) hierarcaps; hyperlex; breeds; clip ;;
  *) echo "unknown dataset '$what' (expected hierarcaps, hyperlex, breeds, clip or all)" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Runs every benchmark binary (build/bin/bench_*) with the shared data, prints each JSON result
# and collects them into runs/bench/<UTC timestamp>.json.
#   scripts/bench.sh BUILD_DIR SHARED_DIR
set -euo pipefail
build="${1:-build}"
export HC_SHARED_DIR="${2:-../shared}"
out_dir="runs/bench"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out_dir"
tmp="$out_dir/.$stamp.partial"
: >"$tmp"
trap 'rm -f "$tmp"' EXIT

shopt -s nullglob
benches=("$build"/bin/bench_*)
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench.sh: no benchmark binaries in $build/bin (build first)" >&2
  exit 1
fi
for bench in "${benches[@]}"; do
  name="$(basename "$bench")"
  echo "== $name" >&2
  result="$("$bench")"
  echo "$result"
  printf '{"bench": "%s", "result": %s}\n' "$name" "$result" >>"$tmp"
done
mv "$tmp" "$out_dir/$stamp.jsonl"
trap - EXIT
echo "bench.sh: results in $out_dir/$stamp.jsonl" >&2

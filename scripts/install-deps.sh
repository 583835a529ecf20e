#!/usr/bin/env bash
# Installs the Debian packages hc needs to build, test and run; does nothing when all are present.
# Idempotent: safe to call from every Makefile target.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-pthread
  libgloo-dev  # headers of libtorch's Gloo process group (multi-process training)
  libopencv-dev libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  nlohmann-json3-dev catch2 libpcre2-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  python3
  chromium  # renders the qualitative HTML report in its end-to-end test
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists: refresh them before installing anything.
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

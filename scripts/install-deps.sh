#!/usr/bin/env bash
# Installs what weft needs to build, test and benchmark on Debian 12 (idempotent).
# `install-deps.sh --list` prints the package names instead.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  clang libclang-rt-14-dev         # the sanitizer builds (ASan+UBSan, TSan)
  liburing-dev libfmt-dev catch2   # the library and its tests
  libbenchmark-dev                 # bench/ (Google Benchmark)
  libboost1.81-dev libtbb-dev      # bench/ baselines (Boost.Asio, oneTBB); Boost >= 1.81 for
                                   # asio::experimental::channel (replaces libboost-dev 1.74)
)
if [ "${1:-}" = "--list" ]; then
  echo "${packages[@]}"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Builds weft and runs the main demo (examples/scope_tour).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/plain -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/plain -j "$(nproc)" --target scope_tour
./build/plain/examples/scope_tour

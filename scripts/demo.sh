#!/usr/bin/env bash
# Builds weft and runs the main demo (examples/pipeline_tour: loop, pool and channels together).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/plain -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/plain -j "$(nproc)" --target pipeline_tour
./build/plain/examples/pipeline_tour

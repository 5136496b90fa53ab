#!/usr/bin/env bash
# Builds the benchmarks (optimised, no sanitizers) and runs one with repetitions, randomly
# interleaved, then prints medians, min–max and ratios to the baseline measured in the same run.
# Usage: scripts/bench.sh BENCH [extra google-benchmark flags]     e.g. scripts/bench.sh task_bench
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bench=${1:?usage: scripts/bench.sh BENCH}
shift
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_BUILD_BENCH=ON \
  -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/bench -j "$(nproc)" --target "$bench"
declare -A baselines=(
  [task_bench]="std_function_call"
  [loop_bench]="asio_timers condvar_round_trip"
  [pool_bench]="tbb_fib condvar_pool_round_trip tbb_tiny_tasks"
  [sync_bench]="loop_ping_pong:asio_channel_ping_pong loop_pool_ping_pong:condvar_ping_pong loop_pool_ping_pong:asio_concurrent_channel_ping_pong mutex_uncontended:std_mutex_uncontended"
  [file_bench]="pread_loop"
  [process_bench]="posix_spawn_waitpid"
)
out=build/bench/$bench.json
./build/bench/bench/"$bench" --benchmark_repetitions=10 --benchmark_enable_random_interleaving=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
python3 bench/report.py "$out" ${baselines[$bench]:-}

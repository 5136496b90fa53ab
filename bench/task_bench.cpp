// bench/task_bench.cpp — what a task costs: create, await and destroy an empty task<int>.
//
// Baselines in the same run: a call through a ready-made std::function, and a std::function built,
// called and destroyed per iteration. Also reports the heap bytes each task frame takes (counted by
// replacing operator new in this binary only).
//
// Run: scripts/bench.sh task_bench
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>

#include <benchmark/benchmark.h>

#include "support/counting_new.hpp"

#include <atomic>
#include <cstdlib>
#include <functional>
#include <new>

namespace {

weft::task<int> empty_task() {
  co_return 1;
}

weft::task<void> await_tasks(benchmark::State* state) {
  std::size_t bytes_before = weft::bench::heap_bytes();
  std::size_t allocations_before = weft::bench::heap_allocations();
  for (auto _ : *state)
    benchmark::DoNotOptimize(co_await empty_task());
  auto n = static_cast<double>(state->iterations());
  state->counters["heap_bytes_per_task"] =
      static_cast<double>(weft::bench::heap_bytes() - bytes_before) / n;
  state->counters["allocations_per_task"] =
      static_cast<double>(weft::bench::heap_allocations() - allocations_before) / n;
}

void task_create_await_destroy(benchmark::State& state) {
  weft::sync_wait(await_tasks(&state));
}
BENCHMARK(task_create_await_destroy);

void std_function_call(benchmark::State& state) {
  std::function<int()> f = [] { return 1; };
  benchmark::DoNotOptimize(f);
  for (auto _ : state)
    benchmark::DoNotOptimize(f());
}
BENCHMARK(std_function_call);

void std_function_create_call_destroy(benchmark::State& state) {
  int one = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(one);
    std::function<int()> f = [one] { return one; };
    benchmark::DoNotOptimize(f());
  }
}
BENCHMARK(std_function_create_call_destroy);

}  // namespace

BENCHMARK_MAIN();

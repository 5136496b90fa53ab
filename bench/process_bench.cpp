// bench/process_bench.cpp — child processes: spawn + wait of /bin/true.
//
//   weft_spawn_wait/K      1,000 children of /bin/true per iteration, K in flight at once: K loop
//                          coroutines each spawn a child (weft::process::spawn: posix_spawn +
//                          pidfd_open) and co_await its wait() (pidfd polled through the ring,
//                          then waitid), until 1,000 have run. items/s = children per second.
//   posix_spawn_waitpid/K  Baseline: the same 1,000 children with posix_spawn and a blocking
//                          waitpid on one plain thread; with K > 1, K are started and each one
//                          reaped (waitpid(-1)) is replaced by a new one, so K stay in flight.
//
// Both sides pay the same fork-and-exec; what differs is how the parent learns that a child has
// ended. On 2 vCPUs the children compete with the parent for the CPU, so K = 64 measures
// throughput under contention, not a speed-up.
//
// Run: scripts/bench.sh process_bench
#include <weft/io_loop.hpp>
#include <weft/process.hpp>
#include <weft/when_all.hpp>

#include <benchmark/benchmark.h>

#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <vector>

extern char** environ;

namespace {

using weft::task;

constexpr int children_per_iteration = 1000;

weft::io_loop::options quiet() {
  weft::io_loop::options options;
  options.slow_step = std::chrono::milliseconds(0);  // spawn is a blocking call by design
  return options;
}

task<void> spawn_and_wait(int* remaining) {
  while (*remaining > 0) {
    --*remaining;
    weft::process child = weft::process::spawn({"/bin/true"});
    weft::exit_status status = co_await child.wait();
    if (!status.success()) std::abort();
  }
}

task<void> run_children(int in_flight) {
  int remaining = children_per_iteration;
  std::vector<task<void>> workers;
  for (int i = 0; i < in_flight; ++i)
    workers.push_back(spawn_and_wait(&remaining));
  co_await weft::when_all(std::move(workers));
}

void weft_spawn_wait(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  weft::io_loop loop{quiet()};
  for (auto _ : state)
    loop.run(run_children(in_flight));
  state.SetItemsProcessed(state.iterations() * children_per_iteration);
}
BENCHMARK(weft_spawn_wait)->Arg(1)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

pid_t spawn_true() {
  static char program[] = "/bin/true";
  static char* argv[] = {program, nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, program, nullptr, nullptr, argv, environ) != 0) std::abort();
  return pid;
}

void reap(pid_t which) {
  int status = 0;
  if (::waitpid(which, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    std::abort();
}

void posix_spawn_waitpid(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  for (auto _ : state) {
    int started = 0;
    for (; started < in_flight && started < children_per_iteration; ++started)
      spawn_true();
    for (int reaped = 0; reaped < children_per_iteration; ++reaped) {
      reap(-1);  // this benchmark has no other children
      if (started < children_per_iteration) {
        spawn_true();
        ++started;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * children_per_iteration);
}
BENCHMARK(posix_spawn_waitpid)->Arg(1)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

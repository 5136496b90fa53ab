// bench/loop_bench.cpp — the io_uring loop: timers, cross-thread wake-ups, resume-and-yield.
//
//   timers/N          N coroutines each sleep until a deadline spread over the next millisecond;
//                     time to schedule and fire them all (items/s = timers/s). Baseline:
//                     asio_timers/N — the same with boost::asio::steady_timer and C++20 coroutines
//                     (co_spawn + use_awaitable) on one io_context.
//                     heap_bytes_per_sleeper counts everything allocated per sleeper, frame
//                     included; frame_bytes is the sleeping coroutine's frame alone.
//   post_round_trip   a plain thread posts to the loop, the loop answers through an atomic the
//                     thread waits on (brief spin, then futex). Baseline: condvar_round_trip —
//                     two threads handing a token back and forth with
//                     std::mutex+condition_variable.
//   yield             one loop coroutine resuming itself through the ready queue.
//
// Run: scripts/bench.sh loop_bench
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/spawn_detached.hpp>
#include <weft/task_scope.hpp>
#include <weft/yield.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include "support/counting_new.hpp"

#include "support/condvar_ping_pong.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>

namespace {

using namespace std::chrono_literals;
using weft::task;

std::chrono::nanoseconds spread(std::int64_t i, std::int64_t n) {
  return std::chrono::nanoseconds(1'000'000 * i / n);  // deadlines spread over one millisecond
}

std::size_t sleeper_frame_bytes = 0;

/// Benchmarks spawn a million coroutines in one step on purpose: no slow-step warnings.
weft::io_loop::options quiet() {
  weft::io_loop::options options;
  options.slow_step = std::chrono::milliseconds(0);
  return options;
}

task<void> sleeper(weft::io_loop::clock::time_point deadline) {
  co_await weft::sleep_until(deadline);
}

void timers(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  weft::io_loop loop{quiet()};
  std::size_t bytes = 0;
  for (auto _ : state) {
    loop.run([&]() -> task<void> {
      std::size_t before = weft::bench::heap_bytes();
      weft::task_scope scope{"sleepers"};
      auto start = weft::io_loop::clock::now();
      for (std::int64_t i = 0; i < n; ++i)
        scope.spawn(sleeper(start + spread(i, n)));
      bytes = weft::bench::heap_bytes() - before;
      co_await scope.join();
    }());
  }
  {  // the frame of one sleeper alone
    std::size_t before = weft::bench::heap_bytes();
    task<void> one = sleeper(weft::io_loop::clock::now());
    sleeper_frame_bytes = weft::bench::heap_bytes() - before;
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["heap_bytes_per_sleeper"] = static_cast<double>(bytes) / static_cast<double>(n);
  state.counters["frame_bytes"] = static_cast<double>(sleeper_frame_bytes);
}
BENCHMARK(timers)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

boost::asio::awaitable<void> asio_sleeper(std::chrono::steady_clock::time_point deadline) {
  boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor, deadline};
  co_await timer.async_wait(boost::asio::use_awaitable);
}

void asio_timers(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  std::size_t bytes = 0;
  for (auto _ : state) {
    boost::asio::io_context context{1};
    std::size_t before = weft::bench::heap_bytes();
    auto start = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < n; ++i)
      boost::asio::co_spawn(context, asio_sleeper(start + spread(i, n)), boost::asio::detached);
    bytes = weft::bench::heap_bytes() - before;
    context.run();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["heap_bytes_per_sleeper"] = static_cast<double>(bytes) / static_cast<double>(n);
}
BENCHMARK(asio_timers)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// Waits for `flag` to become `value`: a brief spin (the answer usually comes within a few µs),
/// then a futex wait.
void await_flag(std::atomic<std::uint32_t>& flag, std::uint32_t value) {
  for (int spin = 0; spin < 4000; ++spin) {
    if (flag.load(std::memory_order_acquire) == value) return;
    __builtin_ia32_pause();
  }
  for (std::uint32_t seen; (seen = flag.load(std::memory_order_acquire)) != value;)
    flag.wait(seen, std::memory_order_acquire);
}

void post_round_trip(benchmark::State& state) {
  weft::io_loop loop{quiet()};
  std::atomic<bool> ready{false};
  std::thread loop_thread{[&] {
    try {
      loop.run([](std::atomic<bool>* r) -> task<void> {
        r->store(true);
        co_await weft::suspend_until_cancelled{};
      }(&ready));
    } catch (const weft::operation_cancelled&) {
      // stop() below: the expected end
    }
  }};
  while (!ready.load())
    std::this_thread::yield();
  std::atomic<std::uint32_t> answer{0};
  std::uint32_t round = 0;
  for (auto _ : state) {
    ++round;
    loop.post([&answer, round] {
      answer.store(round, std::memory_order_release);
      answer.notify_one();
    });
    await_flag(answer, round);
  }
  loop.stop();
  loop_thread.join();
}
BENCHMARK(post_round_trip)->UseRealTime();

void condvar_round_trip(benchmark::State& state) {
  weft::bench::condvar_ping_pong(state);
}
BENCHMARK(condvar_round_trip)->UseRealTime();

/// CPU time the process uses while its loop has nothing to do for one second (after a burst of
/// cross-thread posts, so the spin-before-sleep is included), as a percentage of one core.
void idle_loop_cpu(benchmark::State& state) {
  weft::io_loop loop{quiet()};
  double percent = 0;
  for (auto _ : state) {
    loop.run([](weft::io_loop* l, double* out) -> task<void> {
      for (int i = 0; i < 100; ++i)
        l->post([] {});
      co_await weft::yield();
      rusage before{};
      ::getrusage(RUSAGE_SELF, &before);
      auto wall_start = std::chrono::steady_clock::now();
      co_await weft::sleep_for(1s);
      rusage after{};
      ::getrusage(RUSAGE_SELF, &after);
      auto cpu = [](const rusage& r) {
        return std::chrono::seconds(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
               std::chrono::microseconds(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
      };
      std::chrono::duration<double> used = cpu(after) - cpu(before);
      std::chrono::duration<double> wall = std::chrono::steady_clock::now() - wall_start;
      *out = 100.0 * used.count() / wall.count();
    }(&loop, &percent));
  }
  state.counters["cpu_percent_of_a_core"] = percent;
}
BENCHMARK(idle_loop_cpu)->Iterations(1)->Unit(benchmark::kMillisecond);

void yield(benchmark::State& state) {
  weft::io_loop loop{quiet()};
  loop.run([](benchmark::State* s) -> task<void> {
    for (auto _ : *s)
      co_await weft::yield();
  }(&state));
}
BENCHMARK(yield);

}  // namespace

BENCHMARK_MAIN();

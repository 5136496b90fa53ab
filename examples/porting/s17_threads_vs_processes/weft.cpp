// S17 (seed 002), weft version — `do_actions()` sums range(10**8); in 2 threads it takes 12.8 s,
// in 2 processes 6.5 s, because of CPython's GIL.
//
// What changed from threads.cpp, and why:
//  - threads.cpp compares two std::threads with two fork()ed processes. In weft the place for CPU
//    work is the pool: `co_await weft::offload(pool, do_actions)` runs the sum on a pool worker and
//    resumes the loop coroutine with the result; weft::when_all runs the two offloads at once. That
//    is the "processes" column of the seed — real parallelism — without fork, pipes or a second
//    address space. (Child processes, S7/S16, are not part of weft yet.)
//  - What not to do is shown too: the same two sums run as plain loop coroutines compute one after
//    the other on the loop thread — concurrency without parallelism, the seed's "threads" column —
//    and while they run, nothing else on the loop can (the loop's slow-step warning, which fires
//    past 100 ms, is turned off for this part so the demonstration prints no warning).
//  - Times vary with the machine and its load; only the sums are checked.
//
// Time is scaled as in threads.cpp: range(10**8) -> range(6 * 10**7).
//
// Run: ./porting_s17_threads_vs_processes_weft

#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <tuple>

namespace {

using weft::task;

constexpr std::int64_t kN = 60'000'000;
constexpr std::int64_t kExpected = kN * (kN - 1) / 2;

// GCC/Clang: tells the optimiser `v` may have changed, so it cannot fold the loop away.
inline void keep_loop(std::int64_t& v) {
  asm volatile("" : "+r"(v));
}

std::int64_t do_actions() {
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < kN; ++i) {
    count += i;
    keep_loop(count);
  }
  return count;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// On the loop: a coroutine that computes holds the loop thread until it is done.
task<std::int64_t> on_the_loop() {
  co_return do_actions();
}

// On the pool: the loop only waits.
task<std::int64_t> on_the_pool(weft::thread_pool& pool) {
  co_return co_await weft::offload(pool, do_actions);
}

}  // namespace

int main() {
  auto start = std::chrono::steady_clock::now();
  const std::array<std::int64_t, 2> serial{do_actions(), do_actions()};
  const double serial_s = seconds_since(start);
  fmt::print("serial:           spent time : {:.3f} s\n", serial_s);

  // Two coroutines on the loop: concurrent, not parallel.
  weft::io_loop::options quiet;
  quiet.slow_step = std::chrono::milliseconds(0);
  weft::io_loop loop{quiet};
  start = std::chrono::steady_clock::now();
  const auto [l1, l2] = loop.run(weft::when_all(on_the_loop(), on_the_loop()));
  const double loop_s = seconds_since(start);
  fmt::print("2 loop coroutines: spent time : {:.3f} s (speed-up {:.2f}x)\n", loop_s,
             serial_s / loop_s);

  // Two offloads to the pool: parallel.
  weft::thread_pool pool;
  start = std::chrono::steady_clock::now();
  const auto [p1, p2] = weft::run(weft::when_all(on_the_pool(pool), on_the_pool(pool)));
  const double pool_s = seconds_since(start);
  fmt::print("2 pool offloads:   spent time : {:.3f} s (speed-up {:.2f}x, {} workers)\n", pool_s,
             serial_s / pool_s, pool.size());

  const bool ok = serial[0] == kExpected && serial[1] == kExpected && l1 == kExpected &&
                  l2 == kExpected && p1 == kExpected && p2 == kExpected;
  if (!ok) {
    fmt::print("S17 FAILED (weft): loop sums {}, {}; pool sums {}, {}\n", l1, l2, p1, p2);
    return 1;
  }
  fmt::print("S17 done (weft): sum={} from 2 loop coroutines and from 2 pool offloads\n",
             kExpected);
  return 0;
}

// S9 (seed 001, Effective Python item 53), weft version — `slow_systemcall()` waits 0.1 s for I/O
// that never comes. Five in a row take 0.5 s; five at once, while main computes, take 0.1 s.
//
// What changed from threads.cpp, and why:
//  - A thread per blocking select() -> a loop coroutine per wait. The wait is
//    `co_await weft::sleep_for(50ms)`: the coroutine suspends, the loop thread does not block, and
//    five of them overlap on one thread (a suspended coroutine costs a frame and a timer entry, not
//    a thread). The loop keeps its timers in a heap and the kernel sees only the nearest deadline.
//    (threads.cpp waits on an idle pipe with select(). weft's io/ layer, which would give a
//    cancellable read on that pipe — `weft::within(read, 50ms)` — is not built yet, so the wait
//    here is the timer alone; the overlap it shows is the same.)
//  - "main computes meanwhile" -> the computation goes to the pool with `co_await weft::offload`,
//    so the loop stays free to fire the five timers while the pool works. Computing on the loop
//    itself would delay every timer by as long as the computation takes.
//  - The five waits are spawned into a task_scope; main offloads its work and then joins.
//
// Time is scaled as in threads.cpp: 0.1 s -> 50 ms. Printed times are not checked.
//
// Run: ./porting_s09_blocking_io_weft

#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/thread_pool.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

int timeouts = 0;  // loop thread only

task<void> slow_systemcall() {
  co_await weft::sleep_for(50ms);  // scaled from select(..., 0.1): I/O that never comes
  ++timeouts;
}

int compute_something(int pre_val, int cur_val) {
  return pre_val + cur_val;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

task<int> main_task(weft::thread_pool& pool) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    co_await slow_systemcall();
  fmt::print("serial:     5 waits in {:.3f} s\n", seconds_since(start));

  start = std::chrono::steady_clock::now();
  int computed = 0;
  weft::task_scope waits{"waits"};
  for (int i = 0; i < 5; ++i)
    waits.spawn(slow_systemcall(), "slow_systemcall-" + std::to_string(i));
  // The five waits start as soon as main suspends — here, in its first offload.
  for (int i = 0; i < 5; ++i)
    computed += co_await weft::offload(pool, compute_something, i, i + 1);
  co_await waits.join();
  fmt::print("concurrent: 5 waits in {:.3f} s, computed {} on the pool meanwhile\n",
             seconds_since(start), computed);
  co_return computed;
}

}  // namespace

int main() {
  weft::thread_pool pool;
  const int computed = weft::run(main_task(pool));
  if (timeouts != 10 || computed != 25) {
    fmt::print("S09 FAILED (weft): timeouts={} computed={}\n", timeouts, computed);
    return 1;
  }
  fmt::print("S09 done (weft): 5 serial + 5 concurrent waits timed out, computed=25\n");
  return 0;
}

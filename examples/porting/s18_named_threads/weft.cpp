// S18 (seed 003), weft version — `main` starts five workers named 'thread %i' with argument i;
// each prints its name and argument. The order differs from run to run.
//
// What changed from threads.cpp, and why:
//  - Threads -> five coroutines spawned into a task_scope with a name each:
//    `scope.spawn(worker(i), "thread i")`. A task's name is weft's, not the OS's: no 15-character
//    limit, no pthread_setname_np, and many tasks may share one thread (here all five share the
//    loop thread).
//  - The worker does not ask for its name; it logs, and weft::log prefixes every line with the
//    thread and the task: "[weft loop/thread 3] I argument: 3". (Log lines go to stderr.)
//  - Order: the loop runs ready work first-in first-out, so these five usually print in spawn
//    order — but that is a scheduling detail, not a promise (io_loop::options::shuffle_seed
//    shuffles it on purpose in tests). As in threads.cpp, the check sorts the arguments.
//  - The scope is joined, where threads.cpp's jthreads join at the closing brace.
//
// Run: ./porting_s18_named_threads_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace {

using weft::task;

std::vector<int> seen;  // loop thread only

task<void> worker(int count) {
  weft::log("argument: {}", count);  // the prefix names the task: [weft loop/thread N]
  seen.push_back(count);
  co_return;
}

task<void> main_task() {
  weft::task_scope scope{"threads"};
  for (int i = 0; i < 5; ++i)
    scope.spawn(worker(i), fmt::format("thread {}", i));
  co_await scope.join();
}

}  // namespace

int main() {
  weft::run(main_task());
  std::sort(seen.begin(), seen.end());
  if (seen != std::vector<int>{0, 1, 2, 3, 4}) {
    fmt::print("S18 FAILED (weft): saw {} arguments\n", seen.size());
    return 1;
  }
  fmt::print("S18 done (weft): arguments seen (sorted) 0 1 2 3 4\n");
  return 0;
}

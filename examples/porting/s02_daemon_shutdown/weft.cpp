// S2 (seeds 000, 003, 004), weft version — two background tasks run `thread_func(name, n)`,
// logging every 1000th number; main logs "all done" and ends while they still run. Then the same
// with a join.
//
// What changed from threads.cpp, and why:
//  - Daemon-style work is weft::spawn_detached(task, executor, name): fire-and-forget is an
//    explicit, named choice, never what happens by accident. The task is owned by nobody; it takes
//    its arguments by value.
//  - What happens at shutdown is defined by the executor. On an io_loop, detached tasks get the
//    loop's stop token; when the main task has finished, run() requests stop on that token and
//    keeps the loop running until every detached task has ended (or a drain limit, 5 s by default,
//    passes and it logs what it abandons). So the threads.cpp jthread pattern — request_stop() and
//    join() at the end of the scope — is built in: nothing runs after run() returns, and nothing
//    is killed in the middle of a step. CPython's daemon threads, by contrast, are frozen wherever
//    they are at interpreter exit.
//  - The stop arrives as an exception: the task's `co_await weft::sleep_for(...)` throws
//    weft::operation_cancelled, which is how every interruptible weft operation reports a stop.
//    thread_func catches it to count it and rethrows (an operation_cancelled escaping a detached
//    task is not an error; any other exception would abort, as one escaping a std::thread does).
//    threads.cpp polls stop.stop_requested() instead; weft::cancellation_point() is the
//    equivalent for loops that never suspend.
//  - The joined half spawns the same tasks into a task_scope and co_awaits join().
//
// Time is scaled as in threads.cpp: a 10 ms sleep per 1000 numbers; main works for 50 ms.
//
// Run: ./porting_s02_daemon_shutdown_weft

#include <weft/cancellation.hpp>
#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/sleep.hpp>
#include <weft/spawn_detached.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

// Only loop coroutines touch these, and main reads them after run() has returned (same thread).
int stopped_early = 0;
int completed = 0;

task<void> thread_func(std::string name, int n) {
  weft::log("Sub-Thread {}: starting", name);
  int i = 0;
  try {
    for (; i < n; ++i) {
      if (i % 1000 == 0) {
        weft::log("{}: {}", name, i);
        co_await weft::sleep_for(10ms);  // scaled: background work; throws once stop is requested
      }
    }
  } catch (const weft::operation_cancelled&) {
    weft::log("Sub-Thread {}: stop requested at i={}, leaving", name, i);
    ++stopped_early;
    throw;  // end as cancelled: the loop sees the task honoured the request
  }
  weft::log("Sub-Thread {}: finishing", name);
  ++completed;
}

// daemon=True, no join: the main task does not wait; the loop's shutdown stops and drains them.
task<void> daemon_style() {
  weft::log("Main-Thread: before running thread (daemon-style)");
  weft::spawn_detached(thread_func("First", 20000), weft::io_loop::current(), "First");
  weft::spawn_detached(thread_func("Second", 10000), weft::io_loop::current(), "Second");
  co_await weft::sleep_for(50ms);  // main's own work; the detached tasks make progress meanwhile
  weft::log("Main-Thread: all done; run() now asks the detached tasks to stop and drains them");
}

// The same tasks, joined: main waits until the work is complete.
task<void> joined() {
  weft::log("Main-Thread: before running thread (joined)");
  weft::task_scope scope{"joined"};
  scope.spawn(thread_func("First", 20000), "First");
  scope.spawn(thread_func("Second", 10000), "Second");
  co_await scope.join();
  weft::log("Main-Thread: all done");
}

}  // namespace

int main() {
  weft::run(daemon_style());  // returns only once both detached tasks have ended
  const int cut = stopped_early;
  const int ran_out = completed;
  fmt::print("daemon-style: {} stopped early, {} ran to the end; both drained by run()\n", cut,
             ran_out);

  completed = 0;
  weft::run(joined());
  const int done = completed;
  if (cut + ran_out != 2 || done != 2) {
    fmt::print("S02 FAILED (weft): daemon-style accounted={} completed={}\n", cut + ran_out, done);
    return 1;
  }
  fmt::print("S02 done (weft): detached stopped+drained=2 joined completed=2\n");
  return 0;
}

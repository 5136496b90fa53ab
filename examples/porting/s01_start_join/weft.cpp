// S1 (seeds 000, 004), weft version — the main task starts a child `thread_func("First")` that
// logs, sleeps and logs again; main joins it (or, in the second half, does not join explicitly).
//
// What changed from threads.cpp, and why:
//  - std::thread x(thread_func, "First")  ->  scope.spawn(thread_func("First"), "First").
//    The child is a coroutine on the same loop thread as main, not a new OS thread. Its sleep is
//    `co_await weft::sleep_for(300ms)`: the child suspends and the loop runs main meanwhile.
//  - x.join()  ->  co_await scope.join(). Main suspends (it does not block the thread) until the
//    child has finished.
//  - "no join" (std::jthread, whose destructor joins): a weft::task_scope has no destructor that
//    can wait — a destructor cannot co_await — and destroying a scope whose children still run
//    aborts the program with a message. So the wait stays, written out, at the end of the block:
//    main logs "ALL DONE" first and then joins, as the jthread version does at '}'. Python's
//    "the interpreter waits for non-daemon threads at exit" has no silent counterpart in weft:
//    work that should outlive its caller is spawned with weft::spawn_detached (see S2/S21).
//  - log(): weft::log writes to stderr and prefixes each line with the thread and the task:
//    "[weft loop/First] I Sub-thread First: starting" (main's own lines carry the loop's name).
//
// Time is scaled as in threads.cpp: the 3 s sleep is 300 ms.
//
// Run: ./porting_s01_start_join_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

int finished = 0;  // touched only by coroutines on the one loop thread: no atomic needed

// The name is taken by value: the coroutine frame keeps its own copy (never a reference into the
// caller, who may be gone before the child resumes).
task<void> thread_func(std::string name) {
  weft::log("Sub-thread {}: starting", name);
  co_await weft::sleep_for(300ms);  // scaled from time.sleep(3); the loop runs main meanwhile
  weft::log("Sub-thread {}: finishing", name);
  ++finished;
}

// The seed as written: x.start(); x.join().
task<void> with_join() {
  weft::log("Main-thread: before creating thread");
  weft::task_scope scope{"with_join"};
  scope.spawn(thread_func("First"), "First");  // starts when main next suspends
  weft::log("Main-thread: before running thread");
  co_await scope.join();
  weft::log("Main-thread: wait for the thread to finish");
  weft::log("Main-thread: ALL DONE.");
}

// The seed with x.join() commented out: main's lines come first, the child finishes later. The
// join is still there, at the end of the block, where the jthread destructor would wait.
task<void> without_join() {
  weft::log("Main-thread: before creating thread");
  weft::task_scope scope{"without_join"};
  scope.spawn(thread_func("Second"), "Second");
  weft::log("Main-thread: not joining explicitly");
  weft::log("Main-thread: ALL DONE. (the scope is still joined before it goes away)");
  co_await scope.join();  // a task_scope must be joined before it is destroyed
}

task<void> main_task() {
  co_await with_join();
  co_await without_join();
}

}  // namespace

int main() {
  weft::run(main_task());
  if (finished != 2) {
    fmt::print("S01 FAILED (weft): finished={}\n", finished);
    return 1;
  }
  fmt::print("S01 done (weft): finished={}\n", finished);
  return 0;
}

// examples/scope_tour.cpp — structured concurrency in one page: spawn, cancel, fail, join.
//
// Run: scripts/demo.sh   (or, once built: build/plain/examples/scope_tour)
//
// Three workers run concurrently in a task_scope. One is cancelled on purpose through a stop token
// of its own; one fails, which makes the scope ask the rest to stop; join() waits for every child
// and rethrows the failure. Nothing here needs the I/O loop: sync_wait turns main's thread into a
// small executor, and `co_await weft::yield()` lets the other children run, as an I/O wait would.
#include <weft/cancellation.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/yield.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <string>

using weft::task;

// Counts to `limit`, yielding between steps, and notices a stop request at each step.
task<void> counter(std::string name, int limit) {
  try {
    for (int i = 1; i <= limit; ++i) {
      co_await weft::cancellation_point();  // throws operation_cancelled once stop is requested
      fmt::print("{}: step {}\n", name, i);
      co_await weft::yield();
    }
    fmt::print("{}: finished\n", name);
  } catch (const weft::operation_cancelled&) {
    fmt::print("{}: cancelled\n", name);
    throw;  // let the scope see how it ended; cancellation after a stop request is not a failure
  }
}

// Waits for nothing but its own cancellation: a stand-in for a connection that stays open.
task<void> listener(std::string name) {
  try {
    co_await weft::suspend_until_cancelled{};
  } catch (const weft::operation_cancelled&) {
    fmt::print("{}: cancelled\n", name);
    throw;
  }
}

task<void> faulty(int fail_at) {
  for (int i = 1; i < fail_at; ++i)
    co_await weft::yield();
  throw std::runtime_error(fmt::format("faulty: gave up at step {}", fail_at));
}

task<void> tour() {
  // Part 1: cancel one child on purpose. It has its own stop source; the scope's other children
  // are untouched and the scope joins cleanly.
  {
    weft::task_scope scope{"part one"};
    std::stop_source only_b;
    scope.spawn(counter("a", 3));
    scope.spawn(weft::with_stop_token(counter("b", 10), only_b.get_token()));
    co_await weft::yield();
    co_await weft::yield();
    fmt::print("main: cancelling b\n");
    only_b.request_stop();
    co_await scope.join();
    fmt::print("main: part one joined\n");
  }

  // Part 2: a failing child. The scope keeps the first failure, asks its siblings to stop, waits
  // for them, and join() rethrows.
  weft::task_scope scope{"part two"};
  scope.spawn(listener("listener"));
  scope.spawn(counter("c", 100));
  scope.spawn(faulty(2));
  try {
    co_await scope.join();
  } catch (const std::exception& error) {
    fmt::print("main: join rethrew \"{}\"\n", error.what());
  }
  fmt::print("main: every child has finished ({} running)\n", scope.running());
}

int main() {
  weft::sync_wait(tour());
}

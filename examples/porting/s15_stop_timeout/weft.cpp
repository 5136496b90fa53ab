// S15 (seed 002), weft version — `do_actions(start_value)` counts up, printing a number every
// second, and checks a stop Event after each sleep. Main `join(timeout=10)`s it — the worker never
// ends by itself, so that times out — then sets the event and prints "timed out!".
//
// What changed from threads.cpp, and why:
//  - The worker is a loop coroutine in a task_scope. Its tick, "sleep 1 s unless the event is
//    set", is `co_await weft::within([&] { return stop_event.wait(); }, 30ms)`: true if the
//    weft::event was set in time, false when the 30 ms passed. No condition variable, no mutex,
//    and set() ends the wait at once (threads.cpp needs condition_variable_any + stop_token for
//    that).
//  - join(timeout) -> `co_await weft::within([&] { return finished.wait(); }, 300ms)` on an event
//    the worker sets on its way out (threads.cpp uses a promise/future for the same reason:
//    std::thread has no timed join). false means "timed out!"; main then sets the stop event and
//    joins the scope for real.
//  - Second half, the weft idiom for the same thing: `co_await weft::timeout(do_actions(...),
//    300ms)` gives the task a deadline and, when it passes, *requests stop* on the task — whose
//    sleep (here a plain `weft::sleep_for`) then ends with operation_cancelled — waits for it to
//    finish, and throws weft::timed_out. One line instead of an event, a timed join and a set().
//
// Time is scaled as in threads.cpp: 1 s per count -> 30 ms, join timeout 10 s -> 300 ms.
//
// Run: ./porting_s15_stop_timeout_weft

#include <weft/event.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/timeout.hpp>

#include <fmt/format.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;
using weft::task;

// The seed's shape: an Event to stop it, and (the C++ stand-in for a timed join) an event it sets
// when it ends. Both events live in main_task's frame, which outlives the scope's join.
task<void> do_actions(weft::event* stop_event, weft::event* finished, int start_value, int* last) {
  int i = start_value;
  for (;;) {
    i += 1;
    fmt::print("{}\n", i);
    // time.sleep(1), except that stop_event.set() cuts it short.
    const bool stop = co_await weft::within([&] { return stop_event->wait(); }, 30ms);
    if (stop) break;
  }
  *last = i;
  finished->set();
}

// The same counter for weft::timeout: no event; the stop request is the way out.
task<void> count_forever(int start_value, int* last) {
  for (int i = start_value + 1;; ++i) {
    *last = i;
    co_await weft::sleep_for(30ms);  // throws operation_cancelled once stop is requested
  }
}

struct Results {
  bool join_timed_out = false;
  int last = 0;
  bool timeout_threw = false;
  int last2 = 0;
};

task<Results> main_task() {
  Results r;
  weft::event stop_event;
  weft::event finished;
  weft::task_scope scope{"action"};
  scope.spawn(do_actions(&stop_event, &finished, 0, &r.last), "action_thread");
  // action_thread.join(timeout=10)
  r.join_timed_out = !co_await weft::within([&] { return finished.wait(); }, 300ms);
  stop_event.set();
  if (r.join_timed_out) fmt::print("timed out!\n");
  co_await scope.join();

  try {
    co_await weft::timeout(count_forever(0, &r.last2), 300ms);
  } catch (const weft::timed_out&) {
    r.timeout_threw = true;
    fmt::print("weft::timeout: timed_out thrown after the counter stopped at {}\n", r.last2);
  }
  co_return r;
}

}  // namespace

int main() {
  const Results r = weft::run(main_task());
  if (!r.join_timed_out || r.last < 1 || !r.timeout_threw || r.last2 < 1) {
    fmt::print("S15 FAILED (weft): timed_out={} last={} timeout_threw={}\n", r.join_timed_out,
               r.last, r.timeout_threw);
    return 1;
  }
  fmt::print(
      "S15 done (weft): join timed out, worker stopped on request (counted to {}); "
      "weft::timeout threw timed_out\n",
      r.last);
  return 0;
}

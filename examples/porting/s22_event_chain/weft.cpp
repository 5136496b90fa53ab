// S22 (seed 003), weft version — two Events chained. `first` waits for e1 with 1 s timeouts,
// logging each; once e1 is set it sleeps 1 s and sets e2. `second` waits for e2 the same way.
// Main sleeps 5 s, sets e1, and logs "Exit" at the end.
//
// What changed from threads.cpp, and why:
//  - The hand-made Event (bool + mutex + condition_variable) is weft::event (manual reset, like
//    threading.Event). `e.wait(1)` — wait with a timeout, say whether it was set — is
//    `co_await weft::within([&] { return e.wait(); }, 50ms)`: true if the event was set in time,
//    false if the time ran out (the wait is then withdrawn; nothing is left behind). Python's
//    wait returns the flag as it stands at the end, so the port adds `|| e.is_set()`: a set and
//    a timeout that fall in the same loop step must count as set.
//  - first and second are loop coroutines in a task_scope; main's sleeps are `weft::sleep_for`,
//    and main joins the scope instead of sleeping another 5 s and hoping.
//  - The chain forces the order main set e1 -> first saw e1 -> first set e2 -> second saw e2;
//    that order is what the check line prints. How many timeouts each logs first is timing.
//
// Time is scaled as in threads.cpp: wait(1) -> 50 ms, first's sleep(1) -> 50 ms, main's
// sleep(5) -> 300 ms.
//
// Run: ./porting_s22_event_chain_weft

#include <weft/event.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/timeout.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using weft::task;

void log(const char* thread_name, const std::string& message) {
  fmt::print("({}) {}\n", thread_name, message);
}

std::vector<std::string> chain;  // loop thread only

const char* status(bool event) {
  return event ? "True" : "False";
}

task<void> first_wait(weft::event* e1, weft::event* e2) {
  while (!e1->is_set()) {
    // Event.wait(1) returns the flag as it is when the wait ends: a set that lands just as the
    // time runs out counts. `within` alone would say "timed out" then, and this loop would end
    // (the flag is set) without setting e2, leaving `second` to wait for ever.
    const bool event = co_await weft::within([&] { return e1->wait(); }, 50ms) || e1->is_set();
    log("first", fmt::format("Event status : ({})", status(event)));
    if (event) {
      log("first", "e1 is set.");
      chain.push_back("first saw e1");
      co_await weft::sleep_for(50ms);
      log("first", "set e2");
      chain.push_back("first set e2");
      e2->set();
    }
  }
  log("first", "first exit");
}

task<void> second_wait(weft::event* e2) {
  while (!e2->is_set()) {
    const bool event = co_await weft::within([&] { return e2->wait(); }, 50ms) || e2->is_set();
    log("second", fmt::format("event status : ({})", status(event)));
    if (event) {
      log("second", "e2 is set");
      chain.push_back("second saw e2");
    }
  }
  log("second", "second exit");
}

task<void> main_task() {
  weft::event e1;
  weft::event e2;
  weft::task_scope scope{"main"};
  scope.spawn(first_wait(&e1, &e2), "first");
  scope.spawn(second_wait(&e2), "second");
  log("MainThread", "Wait ...");
  co_await weft::sleep_for(300ms);
  log("MainThread", "end of sleep(5)");
  log("MainThread", "Set e1");
  chain.push_back("main set e1");
  e1.set();
  co_await scope.join();
  log("MainThread", "Exit");
}

}  // namespace

int main() {
  weft::run(main_task());
  std::string steps;
  for (const auto& step : chain)
    steps += (steps.empty() ? "" : " -> ") + step;
  if (steps != "main set e1 -> first saw e1 -> first set e2 -> second saw e2") {
    fmt::print("S22 FAILED (weft): chain {}\n", steps);
    return 1;
  }
  fmt::print("S22 done (weft): {}\n", steps);
  return 0;
}

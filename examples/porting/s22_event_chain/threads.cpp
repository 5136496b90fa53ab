// S22 (seed 003) — two `threading.Event`s chained. Thread `first` loops `e1.wait(1)`, logging
// each timeout; once e1 is set it sleeps 1 s and sets e2. Thread `second` loops `e2.wait(1)` the
// same way. Main sleeps 5 s, sets e1, sleeps 5 s more and logs "Exit".
//
// What it shows: events with timeouts, and a chain of signals that forces an order: main sets e1
// -> first sees it -> first sets e2 -> second sees it. How many timeouts each thread logs first is
// timing; the chain's order is not, and it is what the check line prints.
//
// C++ has no Event; the usual one is a bool under a mutex with a condition_variable (wait_for with
// a predicate, so spurious wake-ups and a set() just before the wait are both handled). Main joins
// the two threads instead of sleeping another 5 s and hoping they are done.
//
// Time is scaled: wait(1) -> 50 ms, first's sleep(1) -> 50 ms, main's sleep(5) -> 300 ms.
//
// Run: ./porting_s22_event_chain_threads

#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

void log(const std::string& thread_name, const std::string& message) {
  std::osyncstream(std::cout) << "(" << thread_name << ") " << message << '\n';
}

class Event {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      flag_ = true;
    }
    cv_.notify_all();
  }
  bool is_set() {
    std::lock_guard lock(mutex_);
    return flag_;
  }
  // True if the event is set (now or within `timeout`), false on timeout.
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return flag_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool flag_ = false;
};

// The steps of the chain, in the order they happened.
std::mutex chain_mutex;
std::vector<std::string> chain;  // guarded by chain_mutex

void record(const std::string& step) {
  std::lock_guard lock(chain_mutex);
  chain.push_back(step);
}

const char* status(bool event) {
  return event ? "True" : "False";
}

void first_wait(Event& e1, Event& e2) {
  while (!e1.is_set()) {
    const bool event = e1.wait(50ms);
    log("first", std::string("Event status : (") + status(event) + ")");
    if (event) {
      log("first", "e1 is set.");
      record("first saw e1");
      std::this_thread::sleep_for(50ms);
      log("first", "set e2");
      record("first set e2");
      e2.set();
    }
  }
  log("first", "first exit");
}

void second_wait(Event& e2) {
  while (!e2.is_set()) {
    const bool event = e2.wait(50ms);
    log("second", std::string("event status : (") + status(event) + ")");
    if (event) {
      log("second", "e2 is set");
      record("second saw e2");
    }
  }
  log("second", "second exit");
}

}  // namespace

int main() {
  Event e1;
  Event e2;
  {
    std::jthread t1(first_wait, std::ref(e1), std::ref(e2));
    std::jthread t2(second_wait, std::ref(e2));

    log("MainThread", "Wait ...");
    std::this_thread::sleep_for(300ms);
    log("MainThread", "end of sleep(5)");
    log("MainThread", "Set e1");
    record("main set e1");
    e1.set();
  }  // join both, where the seed sleeps another 5 s
  log("MainThread", "Exit");

  std::string steps;
  for (const auto& step : chain)
    steps += (steps.empty() ? "" : " -> ") + step;
  if (steps != "main set e1 -> first saw e1 -> first set e2 -> second saw e2") {
    std::cout << "S22 FAILED: chain " << steps << '\n';
    return 1;
  }
  std::cout << "S22 done: " << steps << '\n';
  return 0;
}

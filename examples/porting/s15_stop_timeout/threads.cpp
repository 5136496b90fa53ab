// S15 (seed 002) — `do_actions(start_value)` counts up, printing a number every second, and checks
// a `threading.Event` after each sleep. Main starts it, `join(timeout=10)`s it — the thread never
// ends by itself, so that is a timeout — then sets the event and prints "timed out!".
//
// What it shows: stopping work from outside after a timeout.
// C++ differences: std::thread has no join(timeout); the usual stand-in is a std::promise the
// thread fulfils on its way out, waited on with future::wait_for. The Event becomes the
// std::jthread's stop_token, and the per-tick sleep becomes condition_variable_any::wait_for
// with that token, so request_stop() wakes the worker at once instead of after its sleep.
//
// Time is scaled: 1 s per count -> 30 ms, join timeout 10 s -> 300 ms (about ten counts).
//
// Run: ./porting_s15_stop_timeout_threads

#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

int do_actions(std::stop_token stop_event, int start_value) {
  std::mutex mutex;  // condition_variable_any needs a lock to wait with; nothing else uses it
  std::condition_variable_any tick;
  int i = start_value;
  for (;;) {
    i += 1;
    std::osyncstream(std::cout) << i << '\n';
    std::unique_lock lock(mutex);
    // time.sleep(1), except that request_stop() cuts it short.
    tick.wait_for(lock, stop_event, 30ms, [] { return false; });
    if (stop_event.stop_requested()) break;
  }
  return i;
}

}  // namespace

int main() {
  std::promise<int> finished;
  std::future<int> counted = finished.get_future();
  std::jthread action_thread(
      [&finished](std::stop_token stop_event) { finished.set_value(do_actions(stop_event, 0)); });

  // action_thread.join(timeout=10)
  const bool timed_out = counted.wait_for(300ms) == std::future_status::timeout;
  action_thread.request_stop();  // stop_event.set()
  if (timed_out) std::osyncstream(std::cout) << "timed out!\n";
  action_thread.join();
  const int last = counted.get();

  if (!timed_out || last < 1) {
    std::cout << "S15 FAILED: timed_out=" << timed_out << " last=" << last << '\n';
    return 1;
  }
  std::cout << "S15 done: join timed out, worker stopped on request (counted to " << last << ")\n";
  return 0;
}

// S2 (seeds 000, 003, 004) — two daemon threads run `thread_func(name, range(n))`, printing every
// 1000th number; main logs "all done" and exits while they still run (CPython then dies with
// "could not acquire lock for <stdout> at interpreter shutdown, possibly due to daemon threads").
// Then the same with join().
//
// What it shows: detached background work and what happens to it at shutdown.
// C++ has no daemon threads. The literal port, std::thread::detach(), leaves a thread running
// while main returns and exit() destroys static objects such as std::cout under it: undefined
// behaviour, and the C++ form of CPython's fatal error above. So a C++ programmer does not let
// background work outlive main. Instead every background thread is a std::jthread that checks its
// stop_token; at shutdown (scope exit) the jthread destructor calls request_stop() and join().
// The work is abandoned as with a daemon, but at a point the thread chose, and nothing runs after
// main returns.
//
// Time is scaled: a short sleep per 1000 numbers makes the work last long enough to be cut off.
//
// Run: ./porting_s02_daemon_shutdown_threads

#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <stop_token>
#include <string>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

const auto t0 = std::chrono::steady_clock::now();

void log(const std::string& message) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::osyncstream(std::cout) << std::setw(5) << ms.count() << " ms: " << message << '\n';
}

std::atomic<int> stopped_early{0};
std::atomic<int> completed{0};

// range(n) from the seed; the stop_token is the part Python's daemon thread does not have.
void thread_func(std::stop_token stop, const std::string& name, int n) {
  log("Sub-Thread " + name + ": starting");
  for (int i = 0; i < n; ++i) {
    if (stop.stop_requested()) {
      log("Sub-Thread " + name + ": stop requested at i=" + std::to_string(i) + ", leaving");
      stopped_early.fetch_add(1);
      return;
    }
    if (i % 1000 == 0) {
      log(name + ": " + std::to_string(i));
      std::this_thread::sleep_for(10ms);  // scaled: stands in for real background work
    }
  }
  log("Sub-Thread " + name + ": finishing");
  completed.fetch_add(1);
}

// daemon=True, no join: main does not wait for the work; shutdown cuts it off.
void daemon_style() {
  log("Main-Thread: before running thread (daemon-style)");
  std::jthread x(thread_func, "First", 20000);
  std::jthread y(thread_func, "Second", 10000);
  std::this_thread::sleep_for(50ms);  // main's own work; the threads make progress meanwhile
  log("Main-Thread: all done; leaving the scope stops and joins the background threads");
  // ~jthread: request_stop() then join(), y first, then x. Whether either thread got to the end
  // of its range first is timing; that both are joined before we go on is not.
}

// The same threads with join(): main waits until the work is complete.
void joined() {
  log("Main-Thread: before running thread (joined)");
  std::jthread x(thread_func, "First", 20000);
  std::jthread y(thread_func, "Second", 10000);
  x.join();
  y.join();
  log("Main-Thread: all done");
}

}  // namespace

int main() {
  daemon_style();
  const int cut = stopped_early.load();
  const int ran_out = completed.load();
  log("daemon-style: " + std::to_string(cut) + " stopped early, " + std::to_string(ran_out) +
      " ran to the end; both joined before main moved on");

  completed.store(0);
  joined();
  const int done = completed.load();
  if (cut + ran_out != 2 || done != 2) {
    std::cout << "S02 FAILED: daemon-style accounted=" << cut + ran_out << " completed=" << done
              << '\n';
    return 1;
  }
  std::cout << "S02 done: daemon-style stopped+joined=2 joined completed=2\n";
  return 0;
}

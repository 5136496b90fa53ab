// S23 (seed 003) — one `threading.Lock`, two threads. `blocking` (a daemon) loops forever:
// sleep 1 s, `lock.acquire()` (waits as long as it takes), hold it 0.5 s, release. `nonblocking`
// loops: sleep 1 s, `lock.acquire(False)` (returns at once), counting attempts, until it has
// grabbed the lock 3 times; then it logs "Attempt: 5, grab: 3".
//
// What it shows: blocking lock vs. try-lock. In C++: lock_guard / unique_lock (which block) vs.
// std::mutex::try_lock() or std::unique_lock(m, std::try_to_lock). try_lock may also fail
// spuriously (the standard allows it), which a retry loop like this one absorbs anyway.
// How many attempts it takes is timing; that it stops at exactly 3 grabs is not.
//
// The daemon becomes a std::jthread: its sleeps are stop-aware waits, and main stops and joins
// it once `nonblocking` is done (see S2/S21 for why a C++ thread must not outlive main).
//
// Time is scaled: sleep(1) -> 50 ms, the 0.5 s hold -> 25 ms.
//
// Run: ./porting_s23_try_lock_threads

#include <chrono>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <string>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

void log(const std::string& thread_name, const std::string& message) {
  std::osyncstream(std::cout) << "(" << thread_name << ") " << message << '\n';
}

// time.sleep(d) that returns early (true) once stop is requested.
bool sleep_or_stop(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
  return stop.stop_requested();
}

void blocking_lock(std::stop_token stop, std::mutex& lock) {
  log("blocking", "start blocking lock");
  while (!sleep_or_stop(stop, 50ms)) {
    std::lock_guard guard(lock);  // waits as long as it takes
    log("blocking", "Grab it");
    std::this_thread::sleep_for(25ms);
    log("blocking", "Release");
  }
}

struct Tally {
  int attempt = 0;
  int grab = 0;
};

Tally nonblocking_lock(std::mutex& lock) {
  log("nonblocking", "start nonblocking lock");
  Tally t;
  while (t.grab < 3) {
    std::this_thread::sleep_for(50ms);
    log("nonblocking", "Attempt");
    std::unique_lock guard(lock, std::try_to_lock);  // lock.acquire(False)
    t.attempt += 1;
    if (guard.owns_lock()) {
      log("nonblocking", "Grab it");
      t.grab += 1;
      log("nonblocking", "Release");
    }
  }  // guard releases here, if it got the lock
  log("nonblocking", "Attempt: " + std::to_string(t.attempt) + ", grab: " + std::to_string(t.grab));
  return t;
}

}  // namespace

int main() {
  std::mutex lock;
  Tally t;
  {
    std::jthread blocking(blocking_lock, std::ref(lock));
    std::jthread nonblocking([&] { t = nonblocking_lock(lock); });
    nonblocking.join();
  }  // ~jthread stops and joins `blocking`, where Python just abandons the daemon

  if (t.grab != 3 || t.attempt < 3) {
    std::cout << "S23 FAILED: attempt=" << t.attempt << " grab=" << t.grab << '\n';
    return 1;
  }
  std::cout << "S23 done: grab=3 in " << t.attempt << " attempts\n";
  return 0;
}

// S24 (seed 003) — one `threading.RLock`. Daemon threads `zero` and `one` loop: take the lock,
// set RESOURCE to 0 (or 1), hold 0.5 s, release, sleep 1 s. After 6 s main starts `reverse`:
// `set_reverse` takes the lock and, still holding it, calls `set_one(lock, True)` (or set_zero),
// which takes the same lock again.
//
// What it shows: re-entrant locking. std::recursive_mutex is the RLock: the thread that owns it
// may lock it again, and it is released when every lock has been matched by an unlock. (With a
// plain std::mutex the second lock by the same thread is undefined behaviour — in practice a
// self-deadlock.) Most C++ code avoids recursive mutexes: split the work into a public function
// that locks and a private one that expects the lock held. That split also carries over to
// coroutines, where "the thread that owns the lock" means little once a coroutine can resume on
// another thread.
//
// Seed note: in the seed, `RESOURCE = 0` inside set_zero/set_one lacks `global RESOURCE`, so it
// only sets a local and set_reverse always sees 0. Here RESOURCE really is shared (guarded by the
// lock), so set_reverse flips whatever zero/one left; that value is timing, the flip is not.
//
// The daemons become std::jthreads with stop-aware sleeps, stopped and joined at the end. Time is
// scaled: hold 0.5 s -> 25 ms, sleep 1 s -> 50 ms, main's 6 s -> 300 ms.
//
// Run: ./porting_s24_recursive_lock_threads

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

int RESOURCE = 0;  // guarded by the recursive_mutex passed around as `lock`

void set_value(std::stop_token stop, const char* who, std::recursive_mutex& lock, int value,
               bool end) {
  log(who, std::string("Start set ") + (value ? "one" : "zero"));
  for (;;) {
    {
      std::lock_guard guard(lock);  // re-entrant: fine even if this thread already holds it
      log(who, "grab lock and set RESOURCE to " + std::to_string(value));
      RESOURCE = value;
      std::this_thread::sleep_for(25ms);
    }
    if (sleep_or_stop(stop, 50ms) || end) break;
  }
}

// stop_token first: that is where std::jthread passes it.
void set_zero(std::stop_token stop, const char* who, std::recursive_mutex& lock, bool end) {
  set_value(stop, who, lock, 0, end);
}
void set_one(std::stop_token stop, const char* who, std::recursive_mutex& lock, bool end) {
  set_value(stop, who, lock, 1, end);
}

struct Reversal {
  int before = -1;
  int after = -1;
};

Reversal set_reverse(std::recursive_mutex& lock) {
  log("reverse", "Start batch");
  Reversal r;
  {
    std::lock_guard guard(lock);
    log("reverse", "Grab lock");
    r.before = RESOURCE;
    // Still holding the lock, call a function that takes it again.
    if (RESOURCE == 0) {
      set_one(std::stop_token{}, "reverse", lock, true);
    } else {
      set_zero(std::stop_token{}, "reverse", lock, true);
    }
    r.after = RESOURCE;  // still ours: zero/one could not get in between
  }
  log("reverse", "Reversed " + std::to_string(r.before) + " -> " + std::to_string(r.after));
  return r;
}

}  // namespace

int main() {
  std::recursive_mutex lock;  // threading.RLock()
  Reversal r;
  {
    std::jthread zero(set_zero, "zero", std::ref(lock), false);
    std::jthread one(set_one, "one", std::ref(lock), false);
    std::this_thread::sleep_for(300ms);
    std::jthread reverse([&] { r = set_reverse(lock); });
    reverse.join();
  }  // stop and join the daemons

  if (r.before < 0 || r.after != 1 - r.before) {
    std::cout << "S24 FAILED: before=" << r.before << " after=" << r.after << '\n';
    return 1;
  }
  std::cout << "S24 done: set_reverse re-took the lock it held and reversed RESOURCE\n";
  return 0;
}

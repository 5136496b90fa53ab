// S24 (seed 003), weft version — one `RLock`. Workers `zero` and `one` loop: take the lock, set
// RESOURCE to 0 (or 1), hold it, release, sleep. Later `set_reverse` takes the lock and, still
// holding it, calls `set_one`, which takes the same lock again.
//
// What changed from threads.cpp, and why:
//  - There is no recursive weft::mutex, on purpose. A recursive mutex needs an owner to recognise
//    ("this thread already holds it"), and a coroutine has no thread to be recognised by: it may
//    lock on the loop and resume on a pool worker, and many coroutines share one thread — a mutex
//    recursive "per thread" would let every coroutine on the loop walk in while another holds it
//    across a co_await, which is the S4 lost update again. A weft::mutex is not owned by a thread;
//    a coroutine that awaits lock() while already holding it waits forever. The program shows that
//    too, safely: with the lock held, `co_await weft::within([&] { return lock.lock(); }, 50ms)`
//    gives up after 50 ms and yields false.
//  - The refactoring that replaces RLock (and std::recursive_mutex): split each operation into a
//    public function that locks and a private `_locked` one that expects the lock held. set_zero,
//    set_one and set_reverse lock; set_value_locked does the work. set_reverse holds the lock
//    across its whole read-flip-read and calls set_value_locked — no re-entry needed, and the
//    type says who holds what.
//  - zero and one are loop coroutines in a task_scope, stopped (their sleeps end with
//    operation_cancelled) and joined at the end; RESOURCE is a member of the Resource class, so it
//    is really shared (see threads.cpp's seed note). Its value when reversed is timing; the flip
//    is not.
//
// Time is scaled as in threads.cpp: hold 0.5 s -> 25 ms, sleep 1 s -> 50 ms, main's 6 s -> 300 ms.
//
// Run: ./porting_s24_recursive_lock_weft

#include <weft/io_loop.hpp>
#include <weft/mutex.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/timeout.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

void log(const char* who, const std::string& message) {
  fmt::print("({}) {}\n", who, message);
}

struct Reversal {
  int before = -1;
  int after = -1;
  bool relock_got_it = true;
};

class Resource {
 public:
  // Public: take the lock, then do the work.
  task<void> set_zero(const char* who) {
    weft::mutex_guard guard = co_await lock_.scoped_lock();
    co_await set_value_locked(who, 0);
  }
  task<void> set_one(const char* who) {
    weft::mutex_guard guard = co_await lock_.scoped_lock();
    co_await set_value_locked(who, 1);
  }

  task<Reversal> set_reverse() {
    log("reverse", "Start batch");
    Reversal r;
    weft::mutex_guard guard = co_await lock_.scoped_lock();
    log("reverse", "Grab lock");
    r.before = resource_;
    // An RLock would let us call set_one()/set_zero() here. A weft::mutex does not: awaiting the
    // lock we hold waits forever. Shown with a deadline, so that it gives up:
    r.relock_got_it = co_await weft::within([&] { return lock_.lock(); }, 50ms);
    if (r.relock_got_it) lock_.unlock();  // not reached: the mutex is not recursive
    log("reverse", fmt::format("re-locking while holding it: {}",
                               r.relock_got_it ? "got it?!" : "timed out (not recursive)"));
    // The refactoring: call the _locked half directly, still holding the lock.
    co_await set_value_locked("reverse", 1 - resource_);
    r.after = resource_;  // still ours: zero/one could not get in between
    log("reverse", fmt::format("Reversed {} -> {}", r.before, r.after));
    co_return r;
  }

 private:
  // Private: expects lock_ to be held by the caller.
  task<void> set_value_locked(const char* who, int value) {
    log(who, fmt::format("grab lock and set RESOURCE to {}", value));
    resource_ = value;
    co_await weft::sleep_for(25ms);  // held across the suspension: that is what the mutex is for
  }

  weft::mutex lock_;
  int resource_ = 0;  // guarded by lock_
};

// The seed's daemons: zero and one take turns until main stops them.
task<void> daemon(Resource* resource, const char* who, int value) {
  log(who, value ? "Start set one" : "Start set zero");
  for (;;) {
    if (value)
      co_await resource->set_one(who);
    else
      co_await resource->set_zero(who);
    co_await weft::sleep_for(50ms);  // ends with operation_cancelled when main stops the scope
  }
}

task<Reversal> main_task() {
  Resource resource;
  weft::task_scope daemons{"daemons"};
  daemons.spawn(daemon(&resource, "zero", 0), "zero");
  daemons.spawn(daemon(&resource, "one", 1), "one");
  co_await weft::sleep_for(300ms);
  const Reversal r = co_await resource.set_reverse();
  daemons.request_stop();
  co_await daemons.join();
  co_return r;
}

}  // namespace

int main() {
  const Reversal r = weft::run(main_task());
  if (r.before < 0 || r.after != 1 - r.before || r.relock_got_it) {
    fmt::print("S24 FAILED (weft): before={} after={} relock={}\n", r.before, r.after,
               r.relock_got_it);
    return 1;
  }
  fmt::print(
      "S24 done (weft): set_reverse held the lock across set_value_locked and reversed "
      "RESOURCE; re-locking timed out (not recursive)\n");
  return 0;
}

// S23 (seed 003), weft version — one lock, two workers. `blocking` loops: sleep 1 s, acquire the
// lock (waiting as long as it takes), hold it 0.5 s, release. `nonblocking` loops: sleep 1 s,
// `acquire(False)`, counting attempts, until it has grabbed the lock 3 times.
//
// What changed from threads.cpp, and why:
//  - std::mutex -> weft::mutex, because `blocking` holds it across a suspension (its 0.5 s hold is
//    `co_await weft::sleep_for`). The blocking acquire is `co_await lock.scoped_lock()`: the
//    coroutine waits, the loop thread does not. The non-blocking one is `lock.try_lock()`, which
//    never waits (and, unlike std::mutex::try_lock, never fails spuriously); the coroutine then
//    unlock()s it itself.
//  - Both are loop coroutines. `blocking` (the seed's daemon) is in a task_scope; once
//    `nonblocking` is done, main asks the scope to stop — `blocking`'s sleep ends with
//    operation_cancelled, and if it held the lock at that moment its mutex_guard releases it — and
//    joins it.
//  - How many attempts it takes is timing; that it stops at exactly 3 grabs is not.
//
// Time is scaled as in threads.cpp: sleep(1) -> 50 ms, the 0.5 s hold -> 25 ms.
//
// Run: ./porting_s23_try_lock_weft

#include <weft/io_loop.hpp>
#include <weft/mutex.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

void log(const char* thread_name, const std::string& message) {
  fmt::print("({}) {}\n", thread_name, message);
}

task<void> blocking_lock(weft::mutex* lock) {
  log("blocking", "start blocking lock");
  for (;;) {
    co_await weft::sleep_for(50ms);  // throws operation_cancelled once main stops the scope
    weft::mutex_guard guard = co_await lock->scoped_lock();  // waits as long as it takes
    log("blocking", "Grab it");
    co_await weft::sleep_for(25ms);
    log("blocking", "Release");
  }
}

struct Tally {
  int attempt = 0;
  int grab = 0;
};

task<Tally> nonblocking_lock(weft::mutex* lock) {
  log("nonblocking", "start nonblocking lock");
  Tally t;
  while (t.grab < 3) {
    co_await weft::sleep_for(50ms);
    log("nonblocking", "Attempt");
    t.attempt += 1;
    if (lock->try_lock()) {  // lock.acquire(False)
      log("nonblocking", "Grab it");
      t.grab += 1;
      log("nonblocking", "Release");
      lock->unlock();
    }
  }
  log("nonblocking", fmt::format("Attempt: {}, grab: {}", t.attempt, t.grab));
  co_return t;
}

task<Tally> main_task() {
  weft::mutex lock;
  weft::task_scope daemons{"daemons"};
  daemons.spawn(blocking_lock(&lock), "blocking");
  const Tally t = co_await nonblocking_lock(&lock);
  daemons.request_stop();  // where Python just abandons the daemon
  co_await daemons.join();
  co_return t;
}

}  // namespace

int main() {
  const Tally t = weft::run(main_task());
  if (t.grab != 3 || t.attempt < 3) {
    fmt::print("S23 FAILED (weft): attempt={} grab={}\n", t.attempt, t.grab);
    return 1;
  }
  fmt::print("S23 done (weft): grab=3 in {} attempts\n", t.attempt);
  return 0;
}

// S5 (seed 000), weft version — S4's `FakeDataStore` with a lock: `update1` calls
// `acquire()`/`release()`, `update2` uses `with self._lock:`. Three updates by 2 workers end at 3.
//
// What changed from threads.cpp, and why:
//  - std::mutex -> weft::mutex. A std::mutex held across `co_await` would be wrong twice over: the
//    loop thread would block in lock() (stalling every coroutine on it, including the holder that
//    must unlock — a deadlock on one thread), and the coroutine may resume on another thread than
//    the one that locked. weft::mutex suspends the waiting coroutine instead, and is not owned by a
//    thread.
//  - update1: lock_.lock()/unlock() -> `co_await lock_.lock()` ... `lock_.unlock()`. Same hazard as
//    in C++ and Python: an exception (or a cancellation) between them leaves the mutex locked.
//  - update2: std::lock_guard -> `auto guard = co_await lock_.scoped_lock()`: a weft::mutex_guard
//    that unlocks at the closing brace on every path out, cancellation included.
//  - The workers are coroutines on the loop, as in S4; the sleep under the lock is
//    `co_await weft::sleep_for`, the suspension point that lost S4's update. Holding the mutex
//    across it is what makes the read-modify-write whole again. Hand-over is FIFO: a waiter gets
//    the mutex directly from unlock(), nobody barges in.
//
// Time is scaled as in threads.cpp: the 0.1 s sleep under the lock is 50 ms.
//
// Run: ./porting_s05_lock_fixes_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/mutex.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

class FakeDataStore {
 public:
  // Lock style 1: acquire()/release().
  task<void> update1(std::string n) {
    weft::log("Thread {}: starting update", n);
    co_await lock_.lock();
    weft::log("Thread {} has the lock", n);
    int local_copy = value_;
    local_copy += 1;
    co_await weft::sleep_for(50ms);  // suspended, but still holding the lock: nobody reads value_
    value_ = local_copy;
    weft::log("Thread {} release the lock", n);
    lock_.unlock();
    weft::log("Thread {}: finishing update", n);
  }

  // Lock style 2: `with self._lock:` — the guard unlocks at the closing brace.
  task<void> update2(std::string n) {
    weft::log("Thread {}: starting update", n);
    {
      weft::mutex_guard guard = co_await lock_.scoped_lock();
      weft::log("Thread {} has the lock", n);
      int local_copy = value_;
      local_copy += 1;
      co_await weft::sleep_for(50ms);
      value_ = local_copy;
      weft::log("Thread {} release the lock", n);
    }
    weft::log("Thread {}: finishing update", n);
  }

  int value() const { return value_; }

 private:
  weft::mutex lock_;
  int value_ = 0;  // guarded by lock_ across suspensions (one thread, so no data race either way)
};

using update_fn = task<void> (FakeDataStore::*)(std::string);

const std::array<std::string, 3> names{"First", "Second", "Third"};

task<void> worker(FakeDataStore* store, update_fn update, std::size_t* next) {
  for (std::size_t i = (*next)++; i < names.size(); i = (*next)++)
    co_await (store->*update)(names[i]);
}

// Two workers over the three names, as ThreadPoolExecutor(max_workers=2) runs them.
task<int> run(update_fn update) {
  FakeDataStore store;
  weft::log("Testing update. Starting value is {}", store.value());
  std::size_t next = 0;
  weft::task_scope executor{"executor"};
  executor.spawn(worker(&store, update, &next), "worker-0");
  executor.spawn(worker(&store, update, &next), "worker-1");
  co_await executor.join();
  weft::log("Testing update. Finishing value is {}", store.value());
  co_return store.value();
}

task<std::array<int, 2>> main_task() {
  const int v1 = co_await run(&FakeDataStore::update1);
  const int v2 = co_await run(&FakeDataStore::update2);
  co_return std::array<int, 2>{v1, v2};
}

}  // namespace

int main() {
  const auto [v1, v2] = weft::run(main_task());
  if (v1 != 3 || v2 != 3) {
    fmt::print("S05 FAILED (weft): update1 value={} update2 value={}\n", v1, v2);
    return 1;
  }
  fmt::print("S05 done (weft): update1 value=3 update2 value=3\n");
  return 0;
}

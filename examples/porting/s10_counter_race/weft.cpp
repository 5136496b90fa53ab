// S10 (seed 001, Effective Python item 54), weft version — five workers call
// `counter.increment(1)` 100,000 times each on one shared Counter; `LockingCounter` fixes the lost
// updates with a lock.
//
// What changed from threads.cpp, and why:
//  - First, the five workers as loop coroutines: all on one thread, and increment() has no
//    co_await between its read and its write, so no other coroutine can run in between. The plain
//    Counter is exact (500000) there, every run — compare S4, where a co_await inside the
//    read-modify-write loses an update even on one thread. On the loop, atomicity is "no
//    suspension point inside", and it is visible in the code.
//  - Then the same five workers on the pool (weft::thread_pool, spawned with pool.spawn and awaited
//    together with weft::when_all): now they run in parallel, and the unlocked Counter (atomic
//    load + separate store, as in threads.cpp, to stay free of undefined behaviour) loses updates.
//    How many depends on scheduling, so it is printed, not checked.
//  - LockingCounter takes a weft::mutex with `co_await lock.scoped_lock()`: pool coroutines
//    suspend instead of blocking a worker thread while they wait. (For a critical section this
//    short with no co_await inside, a std::mutex would also do; weft::mutex is the one that may be
//    held across a suspension.) AtomicCounter (fetch_add) is the usual C++ fix, as in threads.cpp.
//
// Run: ./porting_s10_counter_race_weft

#include <weft/io_loop.hpp>
#include <weft/mutex.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace {

using weft::task;

constexpr long how_many = 100'000;

class Counter {
 public:
  task<void> increment(long offset) {
    // count += offset, split into its read and its write, like CPython's bytecodes.
    const long seen = count_.load(std::memory_order_relaxed);
    count_.store(seen + offset, std::memory_order_relaxed);
    co_return;
  }
  long count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<long> count_{0};
};

class LockingCounter {
 public:
  task<void> increment(long offset) {
    weft::mutex_guard guard = co_await lock_.scoped_lock();
    count_ += offset;
  }
  long count() const { return count_; }  // read after every worker has finished

 private:
  weft::mutex lock_;
  long count_ = 0;  // guarded by lock_
};

class AtomicCounter {
 public:
  task<void> increment(long offset) {
    count_.fetch_add(offset, std::memory_order_relaxed);
    co_return;
  }
  long count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<long> count_{0};
};

template <class C>
task<void> worker(int /*sensor_index*/, C* counter) {
  for (long i = 0; i < how_many; ++i)
    co_await counter->increment(1);  // "read the sensor"
}

// Five workers, on the loop (pool == nullptr) or on the pool.
template <class C>
task<long> run(const char* name, weft::thread_pool* pool) {
  C counter;
  const auto start = std::chrono::steady_clock::now();
  std::vector<task<void>> workers;
  for (int i = 0; i < 5; ++i)
    workers.push_back(pool ? pool->spawn(worker(i, &counter)) : worker(i, &counter));
  co_await weft::when_all(std::move(workers));  // back on the loop; the pool's writes are visible
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long expected = how_many * 5;
  const long found = counter.count();
  fmt::print("{} on the {}: expected value = {}, found value = {} (lost {}, {:.3f} s)\n", name,
             pool ? "pool" : "loop", expected, found, expected - found, s);
  co_return found;
}

struct Results {
  long loop_racy, pool_racy, locked, atomic;
};

task<Results> main_task(weft::thread_pool* pool) {
  Results r{};
  r.loop_racy = co_await run<Counter>("Counter", nullptr);
  r.pool_racy = co_await run<Counter>("Counter", pool);
  r.locked = co_await run<LockingCounter>("LockingCounter", pool);
  r.atomic = co_await run<AtomicCounter>("AtomicCounter", pool);
  co_return r;
}

}  // namespace

int main() {
  weft::thread_pool pool;
  const Results r = weft::run(main_task(&pool));
  fmt::print("Counter on the pool {}\n",
             r.pool_racy == 500000 ? "happened to match this time" : "lost updates");
  if (r.loop_racy != 500000 || r.locked != 500000 || r.atomic != 500000) {
    fmt::print("S10 FAILED (weft): loop={} locking={} atomic={}\n", r.loop_racy, r.locked,
               r.atomic);
    return 1;
  }
  fmt::print(
      "S10 done (weft): Counter on the loop=500000 LockingCounter=500000 "
      "AtomicCounter=500000\n");
  return 0;
}

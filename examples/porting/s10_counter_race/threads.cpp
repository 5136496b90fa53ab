// S10 (seed 001, Effective Python item 54) — `worker` calls `counter.increment(1)` 100,000 times;
// five threads share one `Counter` (`self.count += offset`): "expected value = 500000, but found
// value = 450379". `LockingCounter` does the increment under `with self.lock:` and finds 500000.
//
// What it shows: a data race vs. a lock.
// GIL note: CPython runs one bytecode at a time, but `count += offset` is several bytecodes (load,
// add, store) and the GIL may pass to another thread between them, so updates get lost. In C++
// there is no GIL and things are worse: a plain `int count` incremented from five threads is a
// data race, which is undefined behaviour (and the optimiser may well turn the loop into one
// add). To show the lost updates without UB, `Counter` keeps an std::atomic<long> but increments
// it with a relaxed load() followed by a separate store(): each access is atomic, the increment
// is not. How many updates get lost depends on scheduling (on one core possibly none), so the
// Counter result is printed but not checked. LockingCounter (std::mutex) and, for comparison, an
// atomic fetch_add — the usual C++ fix for a counter — must both find exactly 500000.
//
// Run: ./porting_s10_counter_race_threads

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

namespace {

class Counter {
 public:
  void increment(long offset) {
    // count += offset, split into its read and its write, like CPython's bytecodes.
    const long seen = count_.load(std::memory_order_relaxed);
    count_.store(seen + offset, std::memory_order_relaxed);
  }
  long count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<long> count_{0};
};

class LockingCounter {
 public:
  void increment(long offset) {
    std::lock_guard lock(lock_);
    count_ += offset;
  }
  long count() {
    std::lock_guard lock(lock_);
    return count_;
  }

 private:
  std::mutex lock_;
  long count_ = 0;  // guarded by lock_
};

class AtomicCounter {
 public:
  void increment(long offset) { count_.fetch_add(offset, std::memory_order_relaxed); }
  long count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<long> count_{0};
};

template <class C>
void worker(int /*sensor_index*/, long how_many, C& counter) {
  for (long i = 0; i < how_many; ++i)
    counter.increment(1);  // "read the sensor"
}

template <class C>
long run(const char* name) {
  constexpr long how_many = 100'000;
  C counter;
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 5; ++i)
      threads.emplace_back(worker<C>, i, how_many, std::ref(counter));
  }  // join() also makes the final count visible to main
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long expected = how_many * 5;
  const long found = counter.count();
  std::cout << name << ": expected value = " << expected << ", found value = " << found << " (lost "
            << expected - found << ", " << s << " s)\n";
  return found;
}

}  // namespace

int main() {
  const long racy = run<Counter>("Counter");
  const long locked = run<LockingCounter>("LockingCounter");
  const long atomic = run<AtomicCounter>("AtomicCounter");
  std::cout << "Counter " << (racy == 500000 ? "happened to match this time" : "lost updates")
            << '\n';
  if (locked != 500000 || atomic != 500000) {
    std::cout << "S10 FAILED: locking=" << locked << " atomic=" << atomic << '\n';
    return 1;
  }
  std::cout << "S10 done: LockingCounter=500000 AtomicCounter=500000\n";
  return 0;
}

// S5 (seed 000) — S4's `FakeDataStore` with a `threading.Lock`: `update1` calls
// `acquire()`/`release()`, `update2` uses `with self._lock:`. Three updates on a 2-worker pool
// now end at 3.
//
// What it shows: mutual exclusion fixes the lost update; scoped locking is the safe way to hold a
// lock. In C++ `value_` is a plain int again — every access is under the mutex, so there is no
// data race. update1 is the acquire/release style (mutex.lock()/unlock(): an exception or early
// return between them would leave the mutex locked); update2 is `with`, i.e. std::lock_guard,
// whose destructor unlocks on every path out of the block.
//
// Time is scaled: the 0.1 s sleep under the lock is 50 ms (the updates now run one at a time).
//
// Run: ./porting_s05_lock_fixes_threads

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

const auto t0 = std::chrono::steady_clock::now();

void log(const std::string& message) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::osyncstream(std::cout) << std::setw(5) << ms.count() << " ms: " << message << '\n';
}

class FakeDataStore {
 public:
  // Lock style 1: acquire()/release().
  void update1(const std::string& n) {
    log("Thread " + n + ": starting update");
    lock_.lock();
    log("Thread " + n + " has the lock");
    int local_copy = value_;
    local_copy += 1;
    std::this_thread::sleep_for(50ms);  // scaled from 0.1 s; nobody else can read value_ now
    value_ = local_copy;
    log("Thread " + n + " release the lock");
    lock_.unlock();
    log("Thread " + n + ": finishing update");
  }

  // Lock style 2: `with self._lock:` — the guard releases the lock at the closing brace.
  void update2(const std::string& n) {
    log("Thread " + n + ": starting update");
    {
      std::lock_guard guard(lock_);
      log("Thread " + n + " has the lock");
      int local_copy = value_;
      local_copy += 1;
      std::this_thread::sleep_for(50ms);
      value_ = local_copy;
      log("Thread " + n + " release the lock");
    }
    log("Thread " + n + ": finishing update");
  }

  int value() {
    std::lock_guard guard(lock_);
    return value_;
  }

 private:
  std::mutex lock_;
  int value_ = 0;  // guarded by lock_
};

// Two workers over the three names, as ThreadPoolExecutor(max_workers=2) runs them.
int run(void (FakeDataStore::*update)(const std::string&)) {
  FakeDataStore store;
  log("Testing update. Starting value is " + std::to_string(store.value()));
  const std::array<std::string, 3> names{"First", "Second", "Third"};
  std::atomic<std::size_t> next{0};
  {
    std::vector<std::jthread> executor;
    for (int w = 0; w < 2; ++w) {
      executor.emplace_back([&] {
        for (std::size_t i = next++; i < names.size(); i = next++) {
          std::invoke(update, store, names[i]);
        }
      });
    }
  }
  const int value = store.value();
  log("Testing update. Finishing value is " + std::to_string(value));
  return value;
}

}  // namespace

int main() {
  const int v1 = run(&FakeDataStore::update1);
  const int v2 = run(&FakeDataStore::update2);
  if (v1 != 3 || v2 != 3) {
    std::cout << "S05 FAILED: update1 value=" << v1 << " update2 value=" << v2 << '\n';
    return 1;
  }
  std::cout << "S05 done: update1 value=3 update2 value=3\n";
  return 0;
}

// S4 (seed 000) — `FakeDataStore.update(n)`: `local_copy = self.value; local_copy += 1;
// time.sleep(0.1); self.value = local_copy`, submitted for 'First', 'Second', 'Third' to a
// ThreadPoolExecutor with 2 workers. The value ends at 2, not 3.
//
// What it shows: a lost update — a read-modify-write split across a suspension point (the sleep).
// First and Second both read 0 before either writes, both write 1; Third then reads 1 and
// writes 2. The sleep makes the overlap, so the loss is not luck: it happens every run.
//
// GIL note: in CPython every statement here is atomic under the GIL, and the race is still there,
// because the GIL is released in sleep(). In C++ a plain `int value` read and written from two
// threads without synchronisation is a data race — undefined behaviour, not just a wrong number.
// To show the same lost update without UB, `value` is a std::atomic<int> read with load() and
// written with a separate store(): each access is atomic, the read-modify-write is not. (The
// correct C++ is value.fetch_add(1) or a mutex; S5 shows the mutex.)
//
// The 2-worker pool is written the way it usually is for a fixed job list: two std::jthreads
// taking the next job index from an atomic counter. The 0.1 s sleep is kept as in the seed.
//
// Run: ./porting_s04_lost_update_threads

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <iomanip>
#include <iostream>
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
  void update(const std::string& n) {
    log("Thread " + n + ": starting update");
    int local_copy = value_.load(std::memory_order_relaxed);
    local_copy += 1;
    std::this_thread::sleep_for(100ms);  // another thread reads the same old value meanwhile
    value_.store(local_copy, std::memory_order_relaxed);
    log("Thread " + n + ": finishing update");
  }

  int value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int> value_{0};
};

}  // namespace

int main() {
  FakeDataStore store;
  log("Testing update. Starting value is " + std::to_string(store.value()));

  const std::array<std::string, 3> names{"First", "Second", "Third"};
  std::atomic<std::size_t> next{0};
  {
    std::vector<std::jthread> executor;  // max_workers=2
    for (int w = 0; w < 2; ++w) {
      executor.emplace_back([&] {
        for (std::size_t i = next++; i < names.size(); i = next++)
          store.update(names[i]);
      });
    }
  }  // joined here, like leaving the `with` block; join also orders the final read below

  const int value = store.value();
  log("Testing update. Finishing value is " + std::to_string(value));
  if (value != 2) {
    std::cout << "S04 FAILED: expected the lost update to leave value=2, got " << value << '\n';
    return 1;
  }
  std::cout << "S04 done: updates=3 value=2 (one update lost)\n";
  return 0;
}

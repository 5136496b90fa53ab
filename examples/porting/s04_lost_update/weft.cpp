// S4 (seed 000), weft version — `FakeDataStore.update(n)`: read the value, add one, sleep 0.1 s,
// write it back; 'First', 'Second', 'Third' run by 2 workers. The value ends at 2, not 3.
//
// What changed from threads.cpp, and why:
//  - There is ONE thread. The two workers are coroutines on the loop, and every update runs on
//    the loop thread (the program checks that). Yet the update is still lost: `co_await
//    weft::sleep_for(100ms)` between the read and the write is a suspension point, where the loop
//    runs the other worker, which reads the same old value. A lost update is not about threads; it
//    is about a read-modify-write split across a point where someone else can run. In a coroutine
//    those points are visible — every co_await — which makes the race easy to see, not impossible.
//  - Because only one thread touches `value_`, it is a plain int: no data race, no undefined
//    behaviour (threads.cpp needs std::atomic load/store to show the same loss without UB). The
//    result is also fully deterministic: First and Second read 0 before either writes, both write
//    1, Third reads 1 and writes 2 — on every run, with any scheduling order.
//  - The fix is S5: a weft::mutex held across the suspension.
//  - ThreadPoolExecutor(max_workers=2) -> two worker coroutines in a task_scope taking the next
//    name from a shared index (no atomic: same thread, and no co_await between read and bump).
//
// The 0.1 s sleep is kept as in the seed and threads.cpp.
//
// Run: ./porting_s04_lost_update_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using weft::task;

const std::thread::id main_thread = std::this_thread::get_id();

class FakeDataStore {
 public:
  task<void> update(std::string n) {
    weft::log("Thread {}: starting update", n);
    if (std::this_thread::get_id() != main_thread) off_thread_ += 1;
    int local_copy = value_;
    local_copy += 1;
    co_await weft::sleep_for(100ms);  // suspension point: the other worker reads the old value
    value_ = local_copy;
    weft::log("Thread {}: finishing update", n);
    updates_ += 1;
  }

  int value() const { return value_; }
  int updates() const { return updates_; }
  int off_thread() const { return off_thread_; }

 private:
  int value_ = 0;  // one thread: a plain int is fine
  int updates_ = 0;
  int off_thread_ = 0;
};

const std::array<std::string, 3> names{"First", "Second", "Third"};

// A pool worker: takes the next name until there is none. `store` and `next` live in main_task's
// frame, which outlives the scope's join.
task<void> worker(FakeDataStore* store, std::size_t* next) {
  for (std::size_t i = (*next)++; i < names.size(); i = (*next)++)
    co_await store->update(names[i]);
}

task<int> main_task(FakeDataStore* store) {
  weft::log("Testing update. Starting value is {}", store->value());
  std::size_t next = 0;
  weft::task_scope executor{"executor"};  // max_workers=2
  executor.spawn(worker(store, &next), "worker-0");
  executor.spawn(worker(store, &next), "worker-1");
  co_await executor.join();
  weft::log("Testing update. Finishing value is {}", store->value());
  co_return store->value();
}

}  // namespace

int main() {
  FakeDataStore store;
  const int value = weft::run(main_task(&store));
  if (value != 2 || store.updates() != 3 || store.off_thread() != 0) {
    fmt::print("S04 FAILED (weft): value={} updates={} off-thread={}\n", value, store.updates(),
               store.off_thread());
    return 1;
  }
  fmt::print("S04 done (weft): updates=3 value=2 (one update lost, all on one thread)\n");
  return 0;
}

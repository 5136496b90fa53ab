// S14, stage 2 (Effective Python item 58) — the same Game of Life, refactored to queues and a fixed
// set of worker threads.
//
// What changed from stage 1, and why:
//  - No thread per cell any more: kWorkers threads are started once, for the whole run, and each
//    takes cell steps from `in_queue` and puts results on `out_queue` (the book's ClosableQueue and
//    StoppableWorker, as in S13). The fan-out is `in_queue.put` of all 64 cells; the fan-in is 64
//    `out_queue.get`s. Threads started: kWorkers, whatever the grid size.
//  - Errors must now be carried by hand: a worker catches what game_logic throws and ships it in
//  the
//    Result (std::exception_ptr); simulate_pipeline rethrows it (the book's SimulationError).
//
// What it costs (the book's own verdict on item 58):
//  - much more code than stage 1 — a queue class, a worker loop, an item and a result type, the
//    error plumbing, and the shutdown order (close the queue, then join; a guard does it on every
//    path, or a throw would leave the workers blocked in get() and the joins hanging);
//  - the concurrency is capped at kWorkers: only 4 of the 64 I/O waits overlap, so a generation
//    takes ~64/4 × kIoLatency, and picking the number is guesswork;
//  - the whole program had to be restructured around the queues to get there.
//
// Run: ./porting_s14_stage2_queues

#include "life.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using life::Grid;

constexpr int kWorkers = 4;
std::atomic<int> steps_done{0};  // incremented by the workers

// Blocking get; nullopt once closed and drained (std::nullopt plays the book's SENTINEL).
template <class T>
class ClosableQueue {
 public:
  void put(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    not_empty_.notify_one();
  }
  std::optional<T> get() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_empty_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

struct Item {
  int y, x;
  char state;
  int neighbors;
};
struct Result {
  int y, x;
  char next;
  std::exception_ptr error;  // what game_logic threw, carried back by hand
};

// The book's game_logic_thread: the blocking game_logic, with its exception caught and returned.
Result game_logic_thread(const Item& item) {
  try {
    return {item.y, item.x, life::game_logic(item.state, item.neighbors), nullptr};
  } catch (...) {
    return {item.y, item.x, life::EMPTY, std::current_exception()};
  }
}

// The book's StoppableWorker: `for item in in_queue: out_queue.put(func(item))`.
void stoppable_worker(ClosableQueue<Item>& in_queue, ClosableQueue<Result>& out_queue) {
  while (std::optional<Item> item = in_queue.get()) {
    out_queue.put(game_logic_thread(*item));
    steps_done.fetch_add(1, std::memory_order_relaxed);
  }
}

Grid simulate_pipeline(const Grid& grid, ClosableQueue<Item>& in_queue,
                       ClosableQueue<Result>& out_queue) {
  for (int y = 0; y < grid.height(); ++y)  // fan out
    for (int x = 0; x < grid.width(); ++x)
      in_queue.put({y, x, grid.get(y, x), life::count_neighbors(y, x, grid)});

  Grid next(grid.height(), grid.width());
  for (int i = 0; i < grid.height() * grid.width(); ++i) {  // fan in: one result per cell
    Result result = *out_queue.get();
    if (result.error) std::rethrow_exception(result.error);
    next.set(result.y, result.x, result.next);
  }
  return next;
}

}  // namespace

int main() {
  const auto start = std::chrono::steady_clock::now();
  ClosableQueue<Item> in_queue;
  ClosableQueue<Result> out_queue;
  std::vector<Grid> generations{life::glider()};
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < kWorkers; ++i)
      workers.emplace_back(stoppable_worker, std::ref(in_queue), std::ref(out_queue));
    // Destroyed before `workers` (declared after it): close first, then the jthreads join.
    struct CloseOnExit {
      ClosableQueue<Item>& queue;
      ~CloseOnExit() { queue.close(); }
    } close_on_exit{in_queue};

    for (int g = 0; g < life::kGenerations; ++g)
      generations.push_back(simulate_pipeline(generations.back(), in_queue, out_queue));
  }
  const std::string elapsed = life::ms_since(start);

  life::print_columns(generations);
  std::cout << life::kCellSteps << " cell steps in " << elapsed << " on " << kWorkers
            << " worker threads (at most " << kWorkers << " I/O waits overlap)\n";

  if (!life::matches_reference(generations) || steps_done != life::kCellSteps) {
    std::cout << "S14 stage 2 FAILED: grid differs from the serial reference or steps="
              << steps_done << '\n';
    return 1;
  }
  std::cout << "S14 stage 2 done (queues, fixed workers): " << life::kGenerations
            << " generations, grid matches the serial reference, " << steps_done
            << " cell steps on " << kWorkers << " worker threads\n";
  return 0;
}

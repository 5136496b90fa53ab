// S13 (seed 001, Effective Python item 55) — `ClosableQueue(Queue)` with a SENTINEL: `close()`
// puts the sentinel, `__iter__` yields items until it meets one and calls `task_done()` for each
// get. `StoppableWorker` threads run `for item in in_queue: out_queue.put(func(item))`. Fan-out:
// 3 download, 4 resize, 5 upload workers; 1,000 items; `stop_threads` closes a queue once per
// worker, `join()`s the queue, then joins the threads — stage by stage.
//
// What it shows: closing a queue ends its workers; several workers per stage; waiting for
// completion (queue join = every item got its task_done) instead of polling for it.
//
// C++: the queue holds std::optional<T>; std::nullopt is the SENTINEL. consume() is the seed's
// `for item in queue` loop, with task_done() in a scope guard as the seed has it in `finally`.
// The seed ends with `while done_queue.qsize() < 1000: print('--')` and wonders why it never
// prints: stop_threads() has already waited for every stage, so there is nothing left to wait
// for. That loop is left out.
//
// Time is scaled: slow_systemcall() blocks for 1 ms instead of 0.1 s, and the stages do not print
// each item (3,000 lines).
//
// Run: ./porting_s13_closable_queue_threads

#include <sys/select.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// A system call that blocks for a while, like the seed's select() timing out.
void slow_systemcall() {
  timeval timeout{0, 1000};  // scaled from 0.1 s
  select(0, nullptr, nullptr, nullptr, &timeout);
}

std::string download(std::string item) {
  slow_systemcall();
  return item;
}
std::string resize(std::string item) {
  slow_systemcall();
  return item;
}
std::string upload(std::string item) {
  slow_systemcall();
  return item;
}

template <class T>
class ClosableQueue {
 public:
  void put(std::optional<T> item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
      ++unfinished_;
    }
    not_empty_.notify_one();
  }

  void close() { put(std::nullopt); }  // one SENTINEL ends one consumer

  // `for item in queue: f(item)`: returns at the SENTINEL; every get gets its task_done().
  template <class F>
  void consume(F&& f) {
    for (;;) {
      std::optional<T> item = get();
      struct TaskDone {
        ClosableQueue& q;
        ~TaskDone() { q.task_done(); }
      } finally{*this};
      if (!item) return;
      f(std::move(*item));
    }
  }

  // Blocks until every item put so far has been marked done.
  void join() {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [&] { return unfinished_ == 0; });
  }

  std::size_t qsize() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

  // For after the workers are gone: take what is left.
  std::deque<std::optional<T>> drain() {
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

 private:
  std::optional<T> get() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    std::optional<T> item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  void task_done() {
    std::lock_guard lock(mutex_);
    if (--unfinished_ == 0) all_done_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable all_done_;
  std::deque<std::optional<T>> items_;
  std::size_t unfinished_ = 0;
};

using Queue = ClosableQueue<std::string>;

class StoppableWorker {
 public:
  StoppableWorker(std::function<std::string(std::string)> func, Queue& in_queue, Queue& out_queue)
      : func_(std::move(func)), in_queue_(in_queue), out_queue_(out_queue) {}

  void start() {
    thread_ = std::jthread([this] {
      in_queue_.consume([this](std::string item) { out_queue_.put(func_(std::move(item))); });
    });
  }
  void join() { thread_.join(); }

 private:
  std::function<std::string(std::string)> func_;
  Queue& in_queue_;
  Queue& out_queue_;
  std::jthread thread_;
};

using Workers = std::vector<std::unique_ptr<StoppableWorker>>;

Workers start_threads(int count, std::string (*func)(std::string), Queue& in_queue,
                      Queue& out_queue) {
  Workers threads;
  for (int i = 0; i < count; ++i) {
    threads.push_back(std::make_unique<StoppableWorker>(func, in_queue, out_queue));
    threads.back()->start();
  }
  return threads;
}

void stop_threads(Queue& closable_queue, Workers& threads) {
  for (std::size_t i = 0; i < threads.size(); ++i)
    closable_queue.close();
  closable_queue.join();
  for (auto& thread : threads)
    thread->join();
}

}  // namespace

int main() {
  Queue download_queue;
  Queue resize_queue;
  Queue upload_queue;
  Queue done_queue;

  Workers download_threads = start_threads(3, download, download_queue, resize_queue);
  Workers resize_threads = start_threads(4, resize, resize_queue, upload_queue);
  Workers upload_threads = start_threads(5, upload, upload_queue, done_queue);

  for (int i = 0; i < 1000; ++i)
    download_queue.put(std::to_string(i));

  // Closing the first stage only after its queue is done is what makes this safe: a later
  // stage's SENTINELs go in behind every item the earlier stage produced.
  stop_threads(download_queue, download_threads);
  stop_threads(resize_queue, resize_threads);
  stop_threads(upload_queue, upload_threads);

  const std::size_t processed = done_queue.qsize();
  std::cout << processed << " items processed\n";

  std::set<std::string> seen;
  for (auto& item : done_queue.drain()) {
    if (item) seen.insert(*item);
  }
  bool all_items = seen.size() == 1000;
  for (int i = 0; i < 1000 && all_items; ++i)
    all_items = seen.count(std::to_string(i)) == 1;

  if (processed != 1000 || !all_items) {
    std::cout << "S13 FAILED: processed=" << processed << " distinct=" << seen.size() << '\n';
    return 1;
  }
  std::cout << "S13 done: processed=1000 (3 download, 4 resize, 5 upload workers)\n";
  return 0;
}

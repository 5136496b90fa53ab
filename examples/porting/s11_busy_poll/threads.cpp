// S11 (seed 001, Effective Python item 55) — a download -> resize -> upload pipeline of 1,000
// items over hand-made `MyQueue`s (a deque under a Lock whose get() raises IndexError when
// empty). Each stage is a `Worker` thread that polls its input queue and, when it is empty,
// sleeps 0.01 s and tries again; main spins `while len(done_queue.items) < 1000: pass`. The seed
// reports "1000 items processed, polled 3010 times".
//
// What it shows: busy waiting is waste. Every empty poll is a lock round-trip and a 10 ms nap;
// main's spin burns a whole core doing nothing. A queue that lets the consumer *block* until an
// item arrives (std::condition_variable, S12/S13) removes both.
//
// Ported as written, including the waste. Differences: the seed's workers never stop (its program
// does not exit); here each Worker is a std::jthread that leaves when stop is requested, and main
// reads the counters only after join. download/resize/upload do not print each item (3,000 lines).
//
// Run: ./porting_s11_busy_poll_threads

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

std::string download(std::string item) {
  return item;
}
std::string resize(std::string item) {
  return item;
}
std::string upload(std::string item) {
  return item;
}

class MyQueue {
 public:
  void put(std::string item) {
    std::lock_guard lock(lock_);
    items_.push_back(std::move(item));
  }
  // Python raises IndexError on an empty deque; C++ returns "nothing".
  std::optional<std::string> get() {
    std::lock_guard lock(lock_);
    if (items_.empty()) return std::nullopt;
    std::string item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  std::size_t size() {
    std::lock_guard lock(lock_);
    return items_.size();
  }

 private:
  std::mutex lock_;
  std::deque<std::string> items_;
};

class Worker {
 public:
  Worker(std::function<std::string(std::string)> func, MyQueue& in_queue, MyQueue& out_queue)
      : func_(std::move(func)), in_queue_(in_queue), out_queue_(out_queue) {}

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  void stop() {
    thread_.request_stop();
    thread_.join();
  }
  // Read these only after stop(): the worker thread writes them, join() publishes them.
  long polled_count = 0;
  long work_done = 0;

 private:
  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      ++polled_count;
      if (auto item = in_queue_.get()) {
        out_queue_.put(func_(std::move(*item)));
        ++work_done;
      } else {
        std::this_thread::sleep_for(10ms);  // nothing to do: nap and poll again
      }
    }
  }

  std::function<std::string(std::string)> func_;
  MyQueue& in_queue_;
  MyQueue& out_queue_;
  std::jthread thread_;
};

}  // namespace

int main() {
  MyQueue download_queue;
  MyQueue resize_queue;
  MyQueue upload_queue;
  MyQueue done_queue;
  std::vector<std::unique_ptr<Worker>> threads;
  threads.push_back(std::make_unique<Worker>(download, download_queue, resize_queue));
  threads.push_back(std::make_unique<Worker>(resize, resize_queue, upload_queue));
  threads.push_back(std::make_unique<Worker>(upload, upload_queue, done_queue));
  for (auto& thread : threads)
    thread->start();

  for (int i = 0; i < 1000; ++i)
    download_queue.put(std::to_string(i));

  long spins = 0;
  while (done_queue.size() < 1000) {
    ++spins;  // "we could do other work while waiting" — in fact we burn a core
  }

  for (auto& thread : threads)
    thread->stop();
  const std::size_t processed = done_queue.size();
  long polled = 0;
  long done = 0;
  for (auto& thread : threads) {
    polled += thread->polled_count;
    done += thread->work_done;
  }
  std::cout << processed << " items processed, polled " << polled << " times (" << polled - done
            << " empty polls); main spun " << spins << " times\n";

  if (processed != 1000 || done != 3000) {
    std::cout << "S11 FAILED: processed=" << processed << " work_done=" << done << '\n';
    return 1;
  }
  std::cout << "S11 done: processed=1000 work_done=3000\n";
  return 0;
}

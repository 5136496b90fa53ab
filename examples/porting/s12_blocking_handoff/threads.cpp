// S12 (seed 001, Effective Python item 55) — two small `queue.Queue` programs:
//   1. a consumer thread blocks in `my_queue.get()` until main `put`s one object;
//   2. with `Queue(1)`, main puts two objects; the second `put` blocks until the consumer (which
//      first sleeps 0.1 s) has taken the first: "producer#1, consumer#1, producer#2, ...".
//
// What it shows: a blocking hand-off (no polling, unlike S11) and a buffer of one, where the
// producer can never run more than one item ahead of the consumer.
//
// The queue is the usual mutex + two condition variables. put() returns how many items had been
// taken when the item went in — only so that this program can print and check the one fact the
// lesson guarantees: put#2 went in after exactly one get. Which of "consumer#1" and "producer#2"
// prints first is up to the scheduler (the seed's output shows one possible order).
//
// Run: ./porting_s12_blocking_handoff_threads

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <iostream>
#include <limits>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

void say(const std::string& line) {
  std::osyncstream(std::cout) << line << '\n';
}

template <class T>
class Queue {
 public:
  explicit Queue(std::size_t maxsize = std::numeric_limits<std::size_t>::max())
      : maxsize_(maxsize) {}

  std::size_t put(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < maxsize_; });
    items_.push_back(std::move(item));
    const std::size_t taken_before = taken_;
    lock.unlock();
    not_empty_.notify_one();
    return taken_before;
  }

  T get() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });  // sleeps, does not poll
    T item = std::move(items_.front());
    items_.pop_front();
    ++taken_;
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

 private:
  const std::size_t maxsize_;
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  std::size_t taken_ = 0;
};

struct Object {};  // object()

}  // namespace

int main() {
  // 1. get() blocks until there is something to get.
  bool consumer_got_it = false;
  {
    Queue<Object> my_queue;
    std::jthread thread([&] {
      say("consumer ready");
      my_queue.get();
      say("consumer done");
      consumer_got_it = true;  // read by main only after join
    });
    say("producer add data");
    my_queue.put(Object{});
    say("producer done");
  }

  // 2. Queue(1): the second put waits for the consumer.
  std::size_t taken_before_put2 = 0;
  {
    Queue<Object> my_queue(1);
    std::jthread thread([&] {
      std::this_thread::sleep_for(100ms);
      my_queue.get();
      say("consumer#1");
      my_queue.get();
      say("consumer#2");
      say("consumer done");
    });
    my_queue.put(Object{});
    say("producer#1");
    taken_before_put2 = my_queue.put(Object{});  // blocks ~100 ms: the buffer is full
    say("producer#2 (went in after " + std::to_string(taken_before_put2) + " get)");
    say("producer done");
  }

  if (!consumer_got_it || taken_before_put2 != 1) {
    std::cout << "S12 FAILED: consumer_got_it=" << consumer_got_it
              << " taken_before_put2=" << taken_before_put2 << '\n';
    return 1;
  }
  std::cout << "S12 done: get blocked until put, and with Queue(1) put#2 went in after get#1\n";
  return 0;
}

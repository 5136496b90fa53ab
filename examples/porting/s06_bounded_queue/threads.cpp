// S6 (seed 000) — `producer` puts random messages into `queue.Queue(maxsize=10)` until a
// `threading.Event` is set; `consumer` gets them `while not event.is_set() or not queue.empty()`;
// both run on a 2-worker ThreadPoolExecutor; main sets the event after 0.1 s.
//
// What it shows: a bounded queue (back-pressure: put blocks while the queue is full), a stop
// signal, and draining what is left on shutdown.
//
// C++ has no blocking queue in the standard library; the usual one is a deque guarded by a mutex
// with two condition variables (not_full, not_empty). The seed's consumer loop has a race: the
// queue can become empty between its empty() check and get(), and get() then blocks forever. The
// robust shape, used here, is to close the queue when the producer has stopped: pop() returns
// nothing only once the queue is closed *and* empty, so the consumer drains every message.
// The Event is the producer jthread's stop_token: main calls request_stop() (event.set()).
//
// Time is scaled: the producer takes ~2 ms and the consumer ~6 ms per message (the seed spends
// that time in logging), so the queue fills up and the producer feels the back-pressure.
//
// Run: ./porting_s06_bounded_queue_threads

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

const auto t0 = std::chrono::steady_clock::now();

void log(const std::string& message) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::osyncstream(std::cout) << std::setw(5) << ms.count() << " ms: " << message << '\n';
}

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t maxsize) : maxsize_(maxsize) {}

  void put(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < maxsize_; });  // back-pressure
    items_.push_back(std::move(item));
    lock.unlock();
    not_empty_.notify_one();
  }

  // Blocks until an item is available; nullopt once closed and empty.
  std::optional<T> get(std::size_t* size_after = nullptr) {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    if (size_after) *size_after = items_.size();
    lock.unlock();
    not_full_.notify_one();
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
  const std::size_t maxsize_;
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

struct Tally {
  long count = 0;
  long sum = 0;
};

Tally producer(std::stop_token event, BoundedQueue<int>& queue) {
  std::minstd_rand rng(std::random_device{}());
  std::uniform_int_distribution<int> dist(1, 11);  // random.randint(1, 11)
  Tally made;
  while (!event.stop_requested()) {
    std::this_thread::sleep_for(2ms);  // "network wait"
    const int message = dist(rng);
    log("Producer made message: " + std::to_string(message));
    queue.put(message);  // may block: that is the back-pressure
    ++made.count;
    made.sum += message;
  }
  log("Producer received event. Exiting.");
  queue.close();  // no more messages: lets the consumer finish once it has drained the rest
  return made;
}

Tally consumer(BoundedQueue<int>& queue) {
  Tally stored;
  std::size_t size = 0;
  while (auto message = queue.get(&size)) {
    log("Consumer storing message: " + std::to_string(*message) + " (size=" + std::to_string(size) +
        ")");
    std::this_thread::sleep_for(6ms);  // "DB write", slower than the producer
    ++stored.count;
    stored.sum += *message;
  }
  log("Consumer received event. Exiting.");
  return stored;
}

}  // namespace

int main() {
  BoundedQueue<int> pipeline(10);
  Tally made;
  Tally stored;
  {
    std::jthread consumer_thread([&] { stored = consumer(pipeline); });
    std::jthread producer_thread([&](std::stop_token event) { made = producer(event, pipeline); });
    std::this_thread::sleep_for(100ms);
    log("Main: about to set event");
    producer_thread.request_stop();  // event.set()
  }  // joins the producer, then the consumer (declared first, destroyed last)

  if (made.count == 0 || made.count != stored.count || made.sum != stored.sum) {
    std::cout << "S06 FAILED: produced=" << made.count << " consumed=" << stored.count << '\n';
    return 1;
  }
  std::cout << "S06 done: produced=" << made.count << " consumed=" << stored.count
            << " (all drained)\n";
  return 0;
}

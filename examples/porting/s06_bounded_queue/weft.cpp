// S6 (seed 000), weft version — `producer` puts random messages into a queue of 10 until an Event
// is set; `consumer` stores them until the event is set and the queue is empty; main sets the event
// after 0.1 s.
//
// What changed from threads.cpp, and why:
//  - The hand-made BoundedQueue (deque + mutex + two condition variables + a closed flag) is
//    weft::channel<int>{10}. `co_await ch.send(v)` suspends while the buffer is full — the
//    back-pressure — and `co_await ch.recv()` suspends while it is empty. Neither blocks a thread.
//  - Shutdown is the same robust shape as threads.cpp: the producer close()s the channel when it
//    stops; recv() keeps returning what is buffered and yields an empty optional only once the
//    channel is closed *and* drained. So the consumer loop is `while (auto m = co_await
//    ch.recv())`, and nothing is lost (the program checks count and sum).
//  - The Event is a weft::event that main sets (threads.cpp uses the jthread's stop_token). The
//    producer checks is_set() between messages, as the seed does.
//  - Producer and consumer are loop coroutines in a task_scope; their "network wait" and "DB
//    write" are `co_await weft::sleep_for`. To make the back-pressure visible, the producer first
//    tries `try_send` and counts how often the buffer was full and it had to wait (printed, not
//    checked: that is timing).
//
// Time is scaled as in threads.cpp: ~2 ms per message made, ~6 ms per message stored.
//
// Run: ./porting_s06_bounded_queue_weft

#include <weft/channel.hpp>
#include <weft/event.hpp>
#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <chrono>
#include <random>

namespace {

using namespace std::chrono_literals;
using weft::task;

struct Tally {
  long count = 0;
  long sum = 0;
  long waited = 0;  // sends that found the buffer full
};

// `event`, `queue` and `made` live in main_task's frame, which outlives the scope's join.
task<void> producer(weft::event* event, weft::channel<int>* queue, Tally* made) {
  std::minstd_rand rng(std::random_device{}());
  std::uniform_int_distribution<int> dist(1, 11);  // random.randint(1, 11)
  while (!event->is_set()) {
    co_await weft::sleep_for(2ms);  // "network wait"
    int message = dist(rng);
    weft::log("Producer made message: {}", message);
    if (!queue->try_send(message)) {
      ++made->waited;
      co_await queue->send(message);  // suspends while the buffer is full: back-pressure
    }
    ++made->count;
    made->sum += message;
  }
  weft::log("Producer received event. Exiting.");
  queue->close();  // no more messages: the consumer ends once it has drained the rest
}

task<void> consumer(weft::channel<int>* queue, Tally* stored) {
  while (std::optional<int> message = co_await queue->recv()) {
    weft::log("Consumer storing message: {}", *message);
    co_await weft::sleep_for(6ms);  // "DB write", slower than the producer
    ++stored->count;
    stored->sum += *message;
  }
  weft::log("Consumer received event. Exiting.");
}

task<void> main_task(Tally* made, Tally* stored) {
  weft::channel<int> pipeline{10};
  weft::event event;
  weft::task_scope executor{"executor"};
  executor.spawn(producer(&event, &pipeline, made), "producer");
  executor.spawn(consumer(&pipeline, stored), "consumer");
  co_await weft::sleep_for(100ms);
  weft::log("Main: about to set event");
  event.set();
  co_await executor.join();
}

}  // namespace

int main() {
  Tally made;
  Tally stored;
  weft::run(main_task(&made, &stored));
  fmt::print("producer found the queue full {} times and waited\n", made.waited);
  if (made.count == 0 || made.count != stored.count || made.sum != stored.sum) {
    fmt::print("S06 FAILED (weft): produced={} consumed={}\n", made.count, stored.count);
    return 1;
  }
  fmt::print("S06 done (weft): produced={} consumed={} (all drained)\n", made.count, stored.count);
  return 0;
}

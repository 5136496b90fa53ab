// S12 (seed 001, Effective Python item 55), weft version — two small queue programs:
//   1. a consumer waits in `get()` until main `put`s one object;
//   2. with a queue of one, main puts two objects; the second put waits until the consumer (which
//      first sleeps 0.1 s) has taken the first.
//
// What changed from threads.cpp, and why:
//  - The hand-made Queue (mutex + two condition variables) is weft::channel<Object>: unbounded
//    (channel<T>::unbounded) for part 1, capacity 1 for part 2. get() -> `co_await ch.recv()`,
//    put() -> `co_await ch.send(v)`. A waiting coroutine is suspended, not a blocked thread, so the
//    consumer and main both run on the loop thread; the consumer is spawned into a task_scope and
//    joined where threads.cpp joins its thread.
//  - threads.cpp's put() returns how many gets had happened when the item went in. A channel does
//    not count; instead main first tries `try_send` for put #2 — it fails because the buffer of
//    one is full — and then awaits send(). The consumer counts its gets, so main can check that
//    put #2 had to wait and went in only after get #1. Which of "consumer#1" and "producer#2"
//    prints first is scheduling; the check does not look at it.
//  - In weft an object moves through the channel: send() moves from the value only when it is
//    delivered (a failed or cancelled send leaves it with the caller).
//
// Time is scaled as in threads.cpp: the consumer's 0.1 s sleep is kept.
//
// Run: ./porting_s12_blocking_handoff_weft

#include <weft/channel.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <chrono>
#include <optional>

namespace {

using namespace std::chrono_literals;
using weft::task;

void say(const char* line) {
  fmt::print("{}\n", line);
}

struct Object {};  // object()

task<void> consumer1(weft::channel<Object>* my_queue, bool* got_it) {
  say("consumer ready");
  *got_it = (co_await my_queue->recv()).has_value();  // suspends until main sends
  say("consumer done");
}

task<void> consumer2(weft::channel<Object>* my_queue, int* taken) {
  co_await weft::sleep_for(100ms);
  // Not `if (co_await my_queue->recv())`: g++ 12 miscompiles a co_await used directly as an if
  // condition here (the coroutine never starts); naming the result first is correct everywhere.
  std::optional<Object> first = co_await my_queue->recv();
  if (first) ++*taken;
  say("consumer#1");
  std::optional<Object> second = co_await my_queue->recv();
  if (second) ++*taken;
  say("consumer#2");
  say("consumer done");
}

struct Results {
  bool consumer_got_it = false;
  bool put2_waited = false;
  int taken_before_put2 = -1;
  int taken_after_put2 = -1;
};

task<Results> main_task() {
  Results r;
  // 1. recv() waits until there is something to receive.
  {
    weft::channel<Object> my_queue{weft::channel<Object>::unbounded};
    weft::task_scope scope{"part 1"};
    scope.spawn(consumer1(&my_queue, &r.consumer_got_it), "consumer");
    co_await weft::sleep_for(10ms);  // let the consumer get to its recv() first
    say("producer add data");
    co_await my_queue.send(Object{});  // unbounded: never waits
    say("producer done");
    co_await scope.join();
  }
  // 2. A channel of one: the second send waits for the consumer.
  {
    weft::channel<Object> my_queue{1};
    int taken = 0;
    weft::task_scope scope{"part 2"};
    scope.spawn(consumer2(&my_queue, &taken), "consumer");
    co_await my_queue.send(Object{});
    say("producer#1");
    r.taken_before_put2 = taken;
    Object second;
    if (!my_queue.try_send(second)) {  // the buffer of one is full
      r.put2_waited = true;
      co_await my_queue.send(second);  // suspends ~100 ms, until get #1 makes room
    }
    r.taken_after_put2 = taken;
    fmt::print("producer#2 (waited: {}; gets before: {}, by the time it resumed: {})\n",
               r.put2_waited, r.taken_before_put2, r.taken_after_put2);
    say("producer done");
    co_await scope.join();
  }
  co_return r;
}

}  // namespace

int main() {
  const Results r = weft::run(main_task());
  if (!r.consumer_got_it || !r.put2_waited || r.taken_before_put2 != 0 || r.taken_after_put2 < 1) {
    fmt::print("S12 FAILED (weft): got_it={} waited={} before={} after={}\n", r.consumer_got_it,
               r.put2_waited, r.taken_before_put2, r.taken_after_put2);
    return 1;
  }
  fmt::print(
      "S12 done (weft): recv waited until send, and with channel(1) send#2 waited for "
      "recv#1\n");
  return 0;
}

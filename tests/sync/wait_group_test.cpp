#include <weft/channel.hpp>
#include <weft/task_scope.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/wait_group.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "../support/parties.hpp"

using namespace std::chrono_literals;
using weft::task;
using weft::test::party;

TEST_CASE("wait releases every waiter when the count reaches zero, from any party",
          "[wait_group]") {
  const party waiter_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  const party worker_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  CAPTURE(to_string(waiter_kind), to_string(worker_kind));
  weft::test::arena arena;
  weft::wait_group group{3};
  auto waiter = arena.as(waiter_kind, [&]() -> task<bool> {
    if (waiter_kind == party::plain_thread)
      group.blocking_wait();
    else
      co_await group.wait();
    co_return group.count() == 0;
  });
  std::this_thread::sleep_for(5ms);
  auto worker = arena.as(worker_kind, [&]() -> task<bool> {
    group.done(3);
    co_return true;
  });
  CHECK(worker.get());
  CHECK(waiter.get());
}

TEST_CASE("task_done and join: join returns once every queued item is processed", "[wait_group]") {
  // Python's Queue.task_done()/Queue.join() on a channel: add() per item sent, done() per item
  // processed, wait() for the queue to be worked off.
  weft::testing::stepped_scheduler scheduler;
  weft::channel<int> queue{weft::channel<int>::unbounded};
  weft::wait_group unfinished;
  int processed = 0;
  auto worker =
      scheduler.start([](weft::channel<int>* q, weft::wait_group* g, int* count) -> task<void> {
        while (auto item = co_await q->recv()) {
          co_await weft::yield();  // "work"
          ++*count;
          g->done();
        }
      }(&queue, &unfinished, &processed));
  for (int i = 0; i < 10; ++i) {
    unfinished.add();
    CHECK(queue.try_send(i));
  }
  bool joined = false;
  auto joiner = scheduler.start([](weft::wait_group* g, bool* flag) -> task<void> {
    co_await g->wait();
    *flag = true;
  }(&unfinished, &joined));
  scheduler.run_until_idle();
  CHECK(joined);
  CHECK(processed == 10);
  queue.close();
  scheduler.run_until_idle();
  CHECK(worker.done());
}

TEST_CASE("a latch counts down once and then lets every wait pass", "[wait_group]") {
  weft::latch done{2};
  CHECK_FALSE(done.try_wait());
  CHECK_FALSE(done.blocking_wait_for(1ms));
  std::thread a{[&] { done.count_down(); }};
  std::thread b{[&] { done.count_down(); }};
  done.blocking_wait();
  a.join();
  b.join();
  CHECK(done.try_wait());
}

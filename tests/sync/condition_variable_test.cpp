#include <weft/condition_variable.hpp>
#include <weft/mutex.hpp>
#include <weft/testing/stepped_scheduler.hpp>

#include <catch2/catch.hpp>

#include <deque>
#include <thread>

#include "../support/parties.hpp"

using namespace std::chrono_literals;
using weft::task;
using weft::test::party;

TEST_CASE("a condition variable hands work between every pair of parties", "[condition_variable]") {
  const party consumer_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  const party producer_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  CAPTURE(to_string(consumer_kind), to_string(producer_kind));
  weft::test::arena arena;
  weft::mutex m;
  weft::condition_variable ready;
  std::deque<int> items;  // guarded by m
  constexpr int count = 100;
  auto consumer = arena.as(consumer_kind, [&]() -> task<bool> {
    int expected = 0;
    while (expected < count) {
      if (consumer_kind == party::plain_thread) {
        m.blocking_lock();
        ready.blocking_wait(m, [&] { return !items.empty(); });
      } else {
        co_await m.lock();
        co_await ready.wait(m, [&] { return !items.empty(); });
      }
      while (!items.empty()) {
        if (items.front() != expected++) {
          m.unlock();
          co_return false;
        }
        items.pop_front();
      }
      m.unlock();
    }
    co_return true;
  });
  auto producer = arena.as(producer_kind, [&]() -> task<bool> {
    for (int i = 0; i < count; ++i) {
      if (producer_kind == party::plain_thread)
        m.blocking_lock();
      else
        co_await m.lock();
      items.push_back(i);
      m.unlock();
      ready.notify_one();
    }
    co_return true;
  });
  CHECK(producer.get());
  CHECK(consumer.get());
}

TEST_CASE("a cancelled wait holds the mutex again before it throws", "[condition_variable]") {
  weft::testing::stepped_scheduler scheduler;
  weft::mutex m;
  weft::condition_variable cv;
  std::stop_source stop;
  bool held_after_cancel = false;
  auto waiter = scheduler.start(
      [](weft::mutex* mu, weft::condition_variable* c, bool* held) -> task<void> {
        auto guard = co_await mu->scoped_lock();
        try {
          co_await c->wait(*mu);
        } catch (const weft::operation_cancelled&) {
          *held = !mu->try_lock();  // we hold it: try_lock must fail
          throw;
        }
      }(&m, &cv, &held_after_cancel),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(m.try_lock());  // released while waiting
  m.unlock();
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(waiter.done());
  CHECK_THROWS_AS(waiter.get(), weft::operation_cancelled);
  CHECK(held_after_cancel);
  CHECK(m.try_lock());  // and the guard released it
  m.unlock();
}

TEST_CASE("blocking_wait_for returns the predicate, holding the mutex", "[condition_variable]") {
  weft::mutex m;
  weft::condition_variable cv;
  bool flag = false;
  m.blocking_lock();
  CHECK_FALSE(cv.blocking_wait_for(m, 5ms, [&] { return flag; }));
  CHECK_FALSE(m.try_lock());  // still held
  std::thread setter{[&] {
    m.blocking_lock();
    flag = true;
    m.unlock();
    cv.notify_all();
  }};
  CHECK(cv.blocking_wait_for(m, 10s, [&] { return flag; }));
  m.unlock();
  setter.join();
}

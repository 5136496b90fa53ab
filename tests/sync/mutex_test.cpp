#include <weft/mutex.hpp>
#include <weft/sync_wait.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "../support/parties.hpp"

using namespace std::chrono_literals;
using weft::task;
using weft::test::party;

namespace {

task<bool> lock_as(party kind, weft::mutex* m) {
  if (kind == party::plain_thread)
    m->blocking_lock();
  else
    co_await m->lock();
  co_return true;
}

}  // namespace

TEST_CASE("a mutex unlocked by any party is handed to a waiter of any party, on its home",
          "[mutex]") {
  const party waiter_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  const party holder_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  CAPTURE(to_string(waiter_kind), to_string(holder_kind));
  weft::test::arena arena;
  weft::mutex m;
  std::atomic<bool> release{false};
  std::atomic<bool> holding{false};
  auto holder = arena.as(holder_kind, [&]() -> task<bool> {
    co_await lock_as(holder_kind, &m);
    holding = true;
    while (!release.load())
      std::this_thread::sleep_for(1ms);  // holds it (blocking: test only)
    m.unlock();
    co_return true;
  });
  while (!holding.load())
    std::this_thread::sleep_for(1ms);
  std::atomic<bool> acquired{false};
  auto waiter = arena.as(waiter_kind, [&]() -> task<bool> {
    co_await lock_as(waiter_kind, &m);
    acquired = true;
    m.unlock();
    co_return true;
  });
  std::this_thread::sleep_for(5ms);
  CHECK_FALSE(acquired.load());  // mutual exclusion
  release = true;
  CHECK(holder.get());
  CHECK(waiter.get());
  CHECK(acquired.load());
}

TEST_CASE("unlock hands the mutex to waiters in FIFO order", "[mutex]") {
  weft::testing::stepped_scheduler scheduler;
  weft::mutex m;
  std::string order;
  REQUIRE(m.try_lock());
  auto locker = [](weft::mutex* mu, std::string* out, char name) -> task<void> {
    auto guard = co_await mu->scoped_lock();
    *out += name;
  };
  auto a = scheduler.start(locker(&m, &order, 'a'));
  auto b = scheduler.start(locker(&m, &order, 'b'));
  auto c = scheduler.start(locker(&m, &order, 'c'));
  scheduler.step(2);  // c queues first
  scheduler.step(0);  // then a
  scheduler.step(0);  // then b
  CHECK(order.empty());
  m.unlock();
  CHECK_FALSE(m.try_lock());  // handed over, not released: no barging
  scheduler.run_until_idle();
  CHECK(order == "cab");
  CHECK(m.try_lock());
  m.unlock();
}

TEST_CASE("a cancelled lock waiter never gets the mutex, the next waiter does", "[mutex]") {
  weft::testing::stepped_scheduler scheduler;
  weft::mutex m;
  REQUIRE(m.try_lock());
  std::stop_source stop;
  auto cancelled = scheduler.start(
      [](weft::mutex* mu) -> task<void> {
        co_await mu->lock();
        mu->unlock();
      }(&m),
      stop.get_token());
  bool second_got_it = false;
  auto second = scheduler.start([](weft::mutex* mu, bool* got) -> task<void> {
    auto guard = co_await mu->scoped_lock();
    *got = true;
  }(&m, &second_got_it));
  scheduler.run_until_idle();
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(cancelled.done());
  CHECK_THROWS_AS(cancelled.get(), weft::operation_cancelled);
  m.unlock();
  scheduler.run_until_idle();
  CHECK(second_got_it);
  CHECK(m.try_lock());
  m.unlock();
}

TEST_CASE("try_lock and blocking_try_lock_for report whether they got the mutex", "[mutex]") {
  weft::mutex m;
  CHECK(m.try_lock());
  CHECK_FALSE(m.try_lock());
  CHECK_FALSE(m.blocking_try_lock_for(5ms));
  std::thread unlocker{[&] {
    std::this_thread::sleep_for(5ms);
    m.unlock();
  }};
  CHECK(m.blocking_try_lock_for(10s));
  unlocker.join();
  m.unlock();
}

TEST_CASE("threads and coroutines incrementing under the mutex lose no update", "[mutex][stress]") {
  weft::test::arena arena;
  weft::mutex m;
  long counter = 0;  // guarded by m; TSan checks that it really is
  constexpr int each = 2000;
  std::vector<std::future<bool>> parties;
  for (party kind :
       {party::loop_coroutine, party::pool_coroutine, party::plain_thread, party::pool_coroutine})
    parties.push_back(arena.as(kind, [&, kind]() -> task<bool> {
      for (int i = 0; i < each; ++i) {
        co_await lock_as(kind, &m);
        long read = counter;
        if (kind != party::plain_thread && i % 16 == 0) co_await weft::yield();  // suspend inside
        counter = read + 1;
        m.unlock();
      }
      co_return true;
    }));
  for (auto& p : parties)
    CHECK(p.get());
  CHECK(counter == 4L * each);
}

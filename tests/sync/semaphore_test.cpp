#include <weft/semaphore.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "../support/parties.hpp"

using namespace std::chrono_literals;
using weft::task;
using weft::test::party;

TEST_CASE("a permit released by any party goes to a waiter of any party, on its home",
          "[semaphore]") {
  const party waiter_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  const party releaser_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  CAPTURE(to_string(waiter_kind), to_string(releaser_kind));
  weft::test::arena arena;
  weft::semaphore sem{0};
  auto waiter = arena.as(waiter_kind, [&]() -> task<bool> {
    if (waiter_kind == party::plain_thread)
      sem.blocking_acquire();
    else
      co_await sem.acquire();
    co_return true;
  });
  std::this_thread::sleep_for(5ms);
  auto releaser = arena.as(releaser_kind, [&]() -> task<bool> {
    sem.release();
    co_return true;
  });
  CHECK(releaser.get());
  CHECK(waiter.get());
  CHECK(sem.available() == 0);
}

TEST_CASE("at most N holders at once, served in arrival order", "[semaphore]") {
  weft::testing::stepped_scheduler scheduler;
  weft::semaphore sem{2};
  int holding = 0;
  int most = 0;
  std::string order;
  auto user = [](weft::semaphore* s, int* now, int* peak, std::string* out,
                 char name) -> task<void> {
    auto permit = co_await s->scoped_acquire();
    *out += name;
    *peak = std::max(*peak, ++*now);
    co_await weft::yield();
    --*now;
  };
  std::vector<weft::testing::stepped_scheduler::handle<void>> users;
  for (char name : std::string("abcde"))
    users.push_back(scheduler.start(user(&sem, &holding, &most, &order, name)));
  scheduler.run_until_idle();
  CHECK(most == 2);
  CHECK(order == "abcde");
  CHECK(sem.available() == 2);
}

TEST_CASE("a cancelled acquire holds no permit", "[semaphore]") {
  weft::testing::stepped_scheduler scheduler;
  weft::semaphore sem{0};
  std::stop_source stop;
  auto cancelled = scheduler.start(
      [](weft::semaphore* s) -> task<void> { co_await s->acquire(); }(&sem), stop.get_token());
  scheduler.run_until_idle();
  stop.request_stop();
  scheduler.run_until_idle();
  CHECK_THROWS_AS(cancelled.get(), weft::operation_cancelled);
  sem.release();
  CHECK(sem.available() == 1);  // the permit was not swallowed by the cancelled waiter
  CHECK(sem.try_acquire());
}

TEST_CASE("blocking_try_acquire_for reports whether it got a permit", "[semaphore]") {
  weft::semaphore sem{0};
  CHECK_FALSE(sem.blocking_try_acquire_for(5ms));
  std::thread releaser{[&] {
    std::this_thread::sleep_for(5ms);
    sem.release();
  }};
  CHECK(sem.blocking_try_acquire_for(10s));
  releaser.join();
}

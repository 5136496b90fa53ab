#include <weft/event.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task_scope.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/timeout.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "../support/parties.hpp"

using namespace std::chrono_literals;
using weft::task;
using weft::test::party;

namespace {

/// Waits for `ev` the way a party of `kind` does.
task<bool> wait_as(party kind, weft::event* ev) {
  if (kind == party::plain_thread)
    ev->blocking_wait();
  else
    co_await ev->wait();
  co_return true;
}

}  // namespace

TEST_CASE("an event set by any party wakes a waiter of any party on its own home", "[event]") {
  const party waiter_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  const party setter_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  CAPTURE(to_string(waiter_kind), to_string(setter_kind));
  weft::test::arena arena;
  weft::event ev;
  auto waited = arena.as(waiter_kind, [&] { return wait_as(waiter_kind, &ev); });
  std::this_thread::sleep_for(5ms);  // usually lets the waiter block first (either order is valid)
  auto set = arena.as(setter_kind, [&]() -> task<bool> {
    ev.set();
    co_return true;
  });
  CHECK(set.get());
  CHECK(waited.get());  // resumed, and on its own home (checked by the arena)
}

TEST_CASE("a manual-reset event releases every waiter and stays set until reset", "[event]") {
  weft::testing::stepped_scheduler scheduler;
  weft::event ev;
  int released = 0;
  auto waiter = [](weft::event* e, int* count) -> task<void> {
    co_await e->wait();
    ++*count;
  };
  auto a = scheduler.start(waiter(&ev, &released));
  auto b = scheduler.start(waiter(&ev, &released));
  scheduler.run_until_idle();
  CHECK(released == 0);
  ev.set();
  CHECK(released == 0);  // woken by enqueueing on their executor, not inline in set()
  scheduler.run_until_idle();
  CHECK(released == 2);
  CHECK(ev.try_wait());
  ev.reset();
  CHECK_FALSE(ev.try_wait());
}

TEST_CASE("an auto-reset event releases exactly one waiter per set", "[event]") {
  weft::testing::stepped_scheduler scheduler;
  weft::event ev{weft::event::mode::auto_reset};
  int released = 0;
  auto waiter = [](weft::event* e, int* count) -> task<void> {
    co_await e->wait();
    ++*count;
  };
  auto a = scheduler.start(waiter(&ev, &released));
  auto b = scheduler.start(waiter(&ev, &released));
  scheduler.run_until_idle();
  ev.set();
  scheduler.run_until_idle();
  CHECK(released == 1);
  CHECK_FALSE(ev.is_set());  // consumed by the waiter it released
  ev.set();
  scheduler.run_until_idle();
  CHECK(released == 2);
  ev.set();  // nobody waits: it stays set for the next wait
  CHECK(ev.try_wait());
  CHECK_FALSE(ev.try_wait());
}

TEST_CASE("a cancelled wait does not consume an auto-reset event", "[event]") {
  weft::testing::stepped_scheduler scheduler;
  weft::event ev{weft::event::mode::auto_reset};
  std::stop_source stop;
  auto cancelled = scheduler.start([](weft::event* e) -> task<void> { co_await e->wait(); }(&ev),
                                   stop.get_token());
  int released = 0;
  auto other = scheduler.start([](weft::event* e, int* count) -> task<void> {
    co_await e->wait();
    ++*count;
  }(&ev, &released));
  scheduler.run_until_idle();
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(cancelled.done());
  CHECK_THROWS_AS(cancelled.get(), weft::operation_cancelled);
  ev.set();  // goes to the remaining waiter
  scheduler.run_until_idle();
  CHECK(released == 1);
  CHECK_FALSE(ev.is_set());
}

TEST_CASE("blocking_wait_for says whether the event was set", "[event]") {
  weft::event ev;
  CHECK_FALSE(ev.blocking_wait_for(10ms));
  std::thread setter{[&] {
    std::this_thread::sleep_for(5ms);
    ev.set();
  }};
  CHECK(ev.blocking_wait_for(10s));
  setter.join();
}

TEST_CASE("many threads and coroutines setting and waiting an auto-reset event lose no set",
          "[event][stress]") {
  weft::test::arena arena;
  weft::event ev{weft::event::mode::auto_reset};
  constexpr int rounds = 2000;
  std::atomic<int> consumed{0};
  auto consumer = arena.as(party::pool_coroutine, [&]() -> task<bool> {
    for (int i = 0; i < rounds; ++i) {
      co_await ev.wait();
      consumed.fetch_add(1);
    }
    co_return true;
  });
  std::thread producer{[&] {
    for (int i = 0; i < rounds; ++i) {
      while (ev.is_set())
        std::this_thread::yield();  // one outstanding set at a time
      ev.set();
    }
  }};
  CHECK(consumer.get());
  producer.join();
  CHECK(consumed == rounds);
}

TEST_CASE("a coroutine's wait with a timeout says whether the event was set", "[event]") {
  const party waiter_kind = GENERATE(party::loop_coroutine, party::pool_coroutine);
  CAPTURE(to_string(waiter_kind));
  weft::test::arena arena;
  weft::event never;
  weft::event soon;
  auto waited = arena.as(waiter_kind, [&]() -> task<bool> {
    bool first = co_await weft::within([&] { return never.wait(); }, 10ms);
    bool second = co_await weft::within([&] { return soon.wait(); }, 10s);
    co_return !first && second;
  });
  std::this_thread::sleep_for(20ms);
  soon.set();
  CHECK(waited.get());
}

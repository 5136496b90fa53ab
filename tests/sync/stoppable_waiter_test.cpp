// Tests of weft/detail/stoppable_waiter.hpp through the primitives built on it: a stop request
// that lands just after an awaiter completed its operation without waiting must not turn that
// success into operation_cancelled (and so lose a value, a lock, a permit or a set).
//
// `hooked` wraps an awaiter and runs, deterministically on one thread, what other threads could do
// in the two windows that matter: `between` after await_ready() said "must wait" (another party
// makes the operation possible), and `after` once await_suspend() completed it without
// suspending (another party requests stop before await_resume).
#include <weft/channel.hpp>
#include <weft/event.hpp>
#include <weft/mutex.hpp>
#include <weft/semaphore.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/wait_group.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <stop_token>

#include "../support/hooked_awaiter.hpp"

using weft::task;
using weft::test::hooked;

TEST_CASE("a lock taken without waiting stays taken when stop is requested right after",
          "[stoppable_waiter][mutex]") {
  weft::testing::stepped_scheduler scheduler;
  weft::mutex m;
  std::stop_source stop;
  REQUIRE(m.try_lock());  // another party holds it, and lets go in the window
  int outcome = 0;        // 1: locked, 2: cancelled
  auto handle = scheduler.start(
      [](weft::mutex* mu, std::stop_source* s, int* out) -> task<void> {
        auto awaiter = hooked{mu->lock(), [mu] { mu->unlock(); }, [s] { s->request_stop(); }};
        try {
          co_await awaiter;
          *out = 1;
          mu->unlock();
        } catch (const weft::operation_cancelled&) {
          *out = 2;
        }
      }(&m, &stop, &outcome),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(outcome == 1);
  bool free_afterwards = m.try_lock();
  CHECK(free_afterwards);
  if (free_afterwards) m.unlock();
  if (!free_afterwards && outcome == 2) m.unlock();  // the bug's state: let the destructor pass
}

TEST_CASE("a value received without waiting is returned when stop is requested right after",
          "[stoppable_waiter][channel]") {
  weft::testing::stepped_scheduler scheduler;
  weft::channel<std::unique_ptr<int>> ch{1};
  std::stop_source stop;
  int received = 0;  // the value, or -1 when cancelled
  auto handle = scheduler.start(
      [](weft::channel<std::unique_ptr<int>>* c, std::stop_source* s, int* out) -> task<void> {
        auto awaiter = hooked{c->recv(), [c] { REQUIRE(c->try_send(std::make_unique<int>(42))); },
                              [s] { s->request_stop(); }};
        try {
          std::optional<std::unique_ptr<int>> value = co_await awaiter;
          *out = value && *value ? **value : 0;
        } catch (const weft::operation_cancelled&) {
          *out = -1;
        }
      }(&ch, &stop, &received),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(received == 42);
}

TEST_CASE("a value sent without waiting is reported delivered when stop is requested right after",
          "[stoppable_waiter][channel]") {
  weft::testing::stepped_scheduler scheduler;
  weft::channel<std::unique_ptr<int>> ch{1};
  REQUIRE(ch.try_send(std::make_unique<int>(1)));  // full until the window empties it
  std::stop_source stop;
  auto value = std::make_unique<int>(2);
  int outcome = 0;  // 1: delivered, 2: cancelled
  auto handle = scheduler.start(
      [](weft::channel<std::unique_ptr<int>>* c, std::unique_ptr<int>* v, std::stop_source* s,
         int* out) -> task<void> {
        auto awaiter =
            hooked{c->send(*v), [c] { (void)c->try_recv(); }, [s] { s->request_stop(); }};
        try {
          bool delivered = co_await awaiter;
          *out = delivered ? 1 : 3;
        } catch (const weft::operation_cancelled&) {
          *out = 2;
        }
      }(&ch, &value, &stop, &outcome),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(outcome == 1);
  std::optional<std::unique_ptr<int>> left = ch.try_recv();
  REQUIRE(left.has_value());
  CHECK(**left == 2);
}

TEST_CASE("an auto-reset set taken without waiting is not lost when stop is requested right after",
          "[stoppable_waiter][event]") {
  weft::testing::stepped_scheduler scheduler;
  weft::event ev{weft::event::mode::auto_reset};
  std::stop_source stop;
  int outcome = 0;  // 1: woken by the set, 2: cancelled
  auto handle = scheduler.start(
      [](weft::event* e, std::stop_source* s, int* out) -> task<void> {
        auto awaiter = hooked{e->wait(), [e] { e->set(); }, [s] { s->request_stop(); }};
        try {
          co_await awaiter;
          *out = 1;
        } catch (const weft::operation_cancelled&) {
          *out = 2;
        }
      }(&ev, &stop, &outcome),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(outcome == 1);
  CHECK_FALSE(ev.is_set());  // consumed by the one waiter that reported it
}

TEST_CASE("a permit acquired without waiting is kept when stop is requested right after",
          "[stoppable_waiter][semaphore]") {
  weft::testing::stepped_scheduler scheduler;
  weft::semaphore permits{0};
  std::stop_source stop;
  int outcome = 0;  // 1: acquired, 2: cancelled
  auto handle = scheduler.start(
      [](weft::semaphore* sem, std::stop_source* s, int* out) -> task<void> {
        auto awaiter =
            hooked{sem->acquire(), [sem] { sem->release(); }, [s] { s->request_stop(); }};
        try {
          co_await awaiter;
          *out = 1;
          sem->release();
        } catch (const weft::operation_cancelled&) {
          *out = 2;
        }
      }(&permits, &stop, &outcome),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(outcome == 1);
  CHECK(permits.available() == 1);
}

TEST_CASE("a wait_group wait that found zero is not cancelled by a stop right after",
          "[stoppable_waiter][wait_group]") {
  weft::testing::stepped_scheduler scheduler;
  weft::wait_group group{1};
  std::stop_source stop;
  int outcome = 0;  // 1: released, 2: cancelled
  auto handle = scheduler.start(
      [](weft::wait_group* g, std::stop_source* s, int* out) -> task<void> {
        auto awaiter = hooked{g->wait(), [g] { g->done(); }, [s] { s->request_stop(); }};
        try {
          co_await awaiter;
          *out = 1;
        } catch (const weft::operation_cancelled&) {
          *out = 2;
        }
      }(&group, &stop, &outcome),
      stop.get_token());
  scheduler.run_until_idle();
  CHECK(outcome == 1);
}

#include <weft/cancellation.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <utility>

#include "../support/death_test.hpp"

using namespace std::chrono_literals;
using weft::task;

TEST_CASE("a task inherits its awaiter's stop token", "[cancellation]") {
  std::stop_source source;
  auto inner = []() -> task<std::stop_token> { co_return co_await weft::get_stop_token(); };
  auto outer = [inner]() -> task<std::stop_token> { co_return co_await inner(); };
  std::stop_token seen = weft::sync_wait(weft::with_stop_token(outer(), source.get_token()));
  CHECK(seen == source.get_token());
}

TEST_CASE("a bound stop token is not replaced by the awaiter's", "[cancellation]") {
  std::stop_source outer_source;
  std::stop_source inner_source;
  auto inner = []() -> task<std::stop_token> { co_return co_await weft::get_stop_token(); };
  auto outer = [&]() -> task<std::stop_token> {
    co_return co_await weft::with_stop_token(inner(), inner_source.get_token());
  };
  CHECK(weft::sync_wait(weft::with_stop_token(outer(), outer_source.get_token())) ==
        inner_source.get_token());
}

TEST_CASE("cancellation_point throws once a stop was requested", "[cancellation]") {
  std::stop_source source;
  auto body = [](std::stop_source* s) -> task<int> {
    int passed = 0;
    co_await weft::cancellation_point();
    ++passed;
    s->request_stop();
    co_await weft::cancellation_point();
    ++passed;
    co_return passed;
  };
  CHECK_THROWS_AS(weft::sync_wait(weft::with_stop_token(body(&source), source.get_token())),
                  weft::operation_cancelled);
}

TEST_CASE("a suspended task ends with operation_cancelled when another thread requests stop",
          "[cancellation]") {
  std::stop_source source;
  auto body = []() -> task<std::thread::id> {
    std::thread::id home = std::this_thread::get_id();
    try {
      co_await weft::suspend_until_cancelled{};
    } catch (const weft::operation_cancelled&) {
      co_return home;  // resumed: check below that it was on the waiting thread
    }
    co_return std::thread::id{};
  };
  std::thread stopper{[&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    source.request_stop();
  }};
  std::thread::id resumed_on = weft::sync_wait(weft::with_stop_token(body(), source.get_token()));
  stopper.join();
  CHECK(resumed_on == std::this_thread::get_id());
}

TEST_CASE("suspend_until_cancelled with a stop already requested does not suspend",
          "[cancellation][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::stop_source source;
  source.request_stop();
  auto started = scheduler.start([]() -> task<void> { co_await weft::suspend_until_cancelled{}; }(),
                                 source.get_token());
  CHECK(scheduler.step());
  CHECK(started.done());
  CHECK_THROWS_AS(started.get(), weft::operation_cancelled);
}

TEST_CASE("a task stopped from a stepped interleaving resumes on its own executor",
          "[cancellation][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::stop_source source;
  auto started = scheduler.start([]() -> task<void> { co_await weft::suspend_until_cancelled{}; }(),
                                 source.get_token());
  scheduler.step();
  CHECK(scheduler.ready() == 0);
  source.request_stop();  // the callback must enqueue, not resume inline
  CHECK_FALSE(started.done());
  CHECK(scheduler.ready() == 1);
  scheduler.step();
  CHECK(started.done());
}

TEST_CASE("suspend_until_cancelled in a task that cannot be cancelled aborts",
          "[cancellation][death]") {
  auto death = weft::test::run_in_child(
      [] { weft::sync_wait([]() -> task<void> { co_await weft::suspend_until_cancelled{}; }()); });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("can never be cancelled"));
}

TEST_CASE("a shielded wait runs to its end through a stop request; the next wait sees the stop",
          "[cancellation][shielded]") {
  std::stop_source source;
  auto body = [](std::stop_source* s) -> task<int> {
    int shielded_waits_finished = 0;
    s->request_stop();  // before the shielded wait even starts
    co_await weft::shielded(weft::sleep_for(1ms));
    ++shielded_waits_finished;
    co_await weft::shielded(weft::sleep_for(1ms));  // and again: the stop is still there
    ++shielded_waits_finished;
    try {
      co_await weft::sleep_for(24h);
    } catch (const weft::operation_cancelled&) {
      co_return shielded_waits_finished;
    }
    co_return -1;
  };
  CHECK(weft::run(weft::with_stop_token(body(&source), source.get_token())) == 2);
}

TEST_CASE("a stop requested from another thread during a shielded wait ends the next wait",
          "[cancellation][shielded]") {
  std::stop_source source;
  auto body = []() -> task<bool> {
    co_await weft::shielded(weft::sleep_for(50ms));  // the stop arrives meanwhile
    try {
      co_await weft::sleep_for(24h);
    } catch (const weft::operation_cancelled&) {
      co_return true;
    }
    co_return false;
  };
  std::thread stopper{[&] {
    std::this_thread::sleep_for(5ms);
    source.request_stop();
  }};
  CHECK(weft::run(weft::with_stop_token(body(), source.get_token())));
  stopper.join();
}

TEST_CASE("a task awaited through shielded has no stop token, and the shield ends with it",
          "[cancellation][shielded]") {
  std::stop_source source;
  auto inner = []() -> task<bool> { co_return (co_await weft::get_stop_token()).stop_possible(); };
  auto outer = [inner]() -> task<std::pair<bool, bool>> {
    bool inside = co_await weft::shielded(inner());
    bool after = (co_await weft::get_stop_token()).stop_possible();
    co_return std::pair{inside, after};
  };
  auto [inside, after] = weft::sync_wait(weft::with_stop_token(outer(), source.get_token()));
  CHECK_FALSE(inside);
  CHECK(after);
}

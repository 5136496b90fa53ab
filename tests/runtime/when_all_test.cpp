#include <weft/cancellation.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/when_all.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "../support/counted.hpp"
#include "../support/executor_switch.hpp"

using weft::task;

namespace {

task<int> value(int v) {
  co_return v;
}
task<void> nothing() {
  co_return;
}
task<std::string> text(std::string s) {
  co_return s;
}

/// Waits until cancelled, counting that it was.
task<int> wait_for_stop(int* cancelled) {
  try {
    co_await weft::suspend_until_cancelled{};
  } catch (const weft::operation_cancelled&) {
    ++*cancelled;
    throw;
  }
  co_return 0;
}

task<int> fail_after(weft::executor* hop, std::string message) {
  co_await weft::test::switch_to(*hop);
  throw std::runtime_error(message);
}

}  // namespace

TEST_CASE("when_all yields every result in argument order", "[when_all]") {
  auto [a, b, c, d] = weft::sync_wait(weft::when_all(value(1), nothing(), text("x"), value(4)));
  CHECK(a == 1);
  CHECK(c == "x");
  CHECK(d == 4);
}

TEST_CASE("when_all over a vector yields results in input order", "[when_all]") {
  std::vector<task<int>> tasks;
  for (int i = 0; i < 100; ++i)
    tasks.push_back(value(i));
  std::vector<int> results = weft::sync_wait(weft::when_all(std::move(tasks)));
  REQUIRE(results.size() == 100);
  for (int i = 0; i < 100; ++i)
    CHECK(results[static_cast<std::size_t>(i)] == i);

  std::vector<task<void>> voids;
  voids.push_back(nothing());
  weft::sync_wait(weft::when_all(std::move(voids)));
}

TEST_CASE("when_all runs its children concurrently", "[when_all][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::string trace;
  auto child = [](weft::executor* ex, std::string* log, std::string name) -> task<void> {
    *log += name + "1 ";
    co_await weft::test::switch_to(*ex);
    *log += name + "2 ";
  };
  auto started = scheduler.start(
      weft::when_all(child(&scheduler, &trace, "a"), child(&scheduler, &trace, "b")));
  scheduler.step();  // starts when_all: both children run to their first suspension
  CHECK(trace == "a1 b1 ");
  scheduler.step(1);  // force b's second half before a's
  scheduler.step(0);
  CHECK(trace == "a1 b1 b2 a2 ");
  scheduler.run_until_idle();
  CHECK(started.done());
}

TEST_CASE("when_all's first failure stops the siblings and is rethrown after they finish",
          "[when_all][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  int cancelled = 0;
  auto started = scheduler.start(weft::when_all(
      wait_for_stop(&cancelled), fail_after(&scheduler, "first"), wait_for_stop(&cancelled)));
  scheduler.run_until_idle();
  REQUIRE(started.done());
  CHECK(cancelled == 2);
  CHECK_THROWS_WITH(started.get(), "first");
}

TEST_CASE("a stop request on when_all's awaiter reaches every child", "[when_all][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::stop_source stop;
  int cancelled = 0;
  auto started = scheduler.start(
      weft::when_all(wait_for_stop(&cancelled), wait_for_stop(&cancelled)), stop.get_token());
  scheduler.run_until_idle();
  CHECK_FALSE(started.done());
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(started.done());
  CHECK(cancelled == 2);
  CHECK_THROWS_AS(started.get(), weft::operation_cancelled);
}

TEST_CASE("when_all destroys every child frame and value", "[when_all]") {
  weft::test::lifetime_counter counter;
  {
    auto make = [](weft::test::counted c) -> task<weft::test::counted> { co_return c; };
    auto [x, y] = weft::sync_wait(weft::when_all(make(weft::test::counted{counter, 1}),
                                                 make(weft::test::counted{counter, 2})));
    CHECK(x.value() + y.value() == 3);
  }
  CHECK(counter.alive() == 0);
}

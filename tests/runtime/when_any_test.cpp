#include <weft/cancellation.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/when_any.hpp>

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

/// Waits until cancelled; records when it finished so tests can check it ended before when_any.
task<int> loser(weft::test::lifetime_counter* counter, int* finished) {
  weft::test::counted alive{*counter};
  try {
    co_await weft::suspend_until_cancelled{};
  } catch (const weft::operation_cancelled&) {
    ++*finished;
    throw;
  }
  co_return -1;
}

}  // namespace

TEST_CASE("when_any yields the first result and which child produced it", "[when_any]") {
  weft::test::lifetime_counter counter;
  int finished = 0;
  auto result = weft::sync_wait(weft::when_any(loser(&counter, &finished), value(7)));
  CHECK(result.index() == 1);
  CHECK(std::get<1>(result) == 7);
  CHECK(finished == 1);
}

TEST_CASE("when_any cancels the losers and waits for them before it returns",
          "[when_any][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  weft::test::lifetime_counter counter;
  int finished = 0;
  auto winner = [](weft::executor* ex) -> task<int> {
    co_await weft::test::switch_to(*ex);
    co_return 3;
  };
  std::vector<task<int>> children;
  children.push_back(loser(&counter, &finished));
  children.push_back(winner(&scheduler));
  children.push_back(loser(&counter, &finished));
  auto started = scheduler.start(weft::when_any(std::move(children)));
  scheduler.step();  // start: both losers suspend, the winner moves to the scheduler
  CHECK(counter.alive() == 2);
  scheduler.run_until_idle();
  REQUIRE(started.done());
  auto result = started.get();
  CHECK(result.index == 1);
  CHECK(result.value == 3);
  CHECK(finished == 2);
  CHECK(counter.alive() == 0);  // every loser frame is gone by the time the result is seen
}

TEST_CASE("when_any rethrows the winner's exception", "[when_any]") {
  weft::test::lifetime_counter counter;
  int finished = 0;
  auto failing = []() -> task<int> {
    throw std::runtime_error("lost race");
    co_return 0;
  };
  CHECK_THROWS_WITH(weft::sync_wait(weft::when_any(loser(&counter, &finished), failing())),
                    "lost race");
  CHECK(finished == 1);
  CHECK(counter.alive() == 0);
}

TEST_CASE("a stop request on when_any's awaiter ends it with operation_cancelled",
          "[when_any][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  weft::test::lifetime_counter counter;
  int finished = 0;
  std::stop_source stop;
  auto started = scheduler.start(
      weft::when_any(loser(&counter, &finished), loser(&counter, &finished)), stop.get_token());
  scheduler.run_until_idle();
  CHECK_FALSE(started.done());
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(started.done());
  CHECK(finished == 2);
  CHECK_THROWS_AS(started.get(), weft::operation_cancelled);
}

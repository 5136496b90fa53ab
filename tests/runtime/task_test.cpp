#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "../support/counted.hpp"
#include "../support/death_test.hpp"
#include "../support/executor_switch.hpp"

using weft::task;

namespace {

task<int> answer() {
  co_return 42;
}
task<void> nothing() {
  co_return;
}
task<int> add_one(task<int> inner) {
  co_return co_await std::move(inner) + 1;
}

}  // namespace

TEST_CASE("a task does not start until it is awaited", "[task]") {
  bool started = false;
  auto make = [](bool* flag) -> task<void> {
    *flag = true;
    co_return;
  };
  task<void> t = make(&started);
  CHECK_FALSE(started);
  weft::sync_wait(std::move(t));
  CHECK(started);
}

TEST_CASE("awaiting a task yields the value it returned", "[task]") {
  CHECK(weft::sync_wait(answer()) == 42);
  CHECK(weft::sync_wait(add_one(add_one(answer()))) == 44);
  weft::sync_wait(nothing());
}

TEST_CASE("a task can return a move-only value", "[task]") {
  auto make = []() -> task<std::unique_ptr<std::string>> {
    co_return std::make_unique<std::string>("moved");
  };
  std::unique_ptr<std::string> value = weft::sync_wait(make());
  CHECK(*value == "moved");
}

TEST_CASE("a task<T&> yields a reference to the same object", "[task]") {
  int target = 1;
  auto make = [](int* p) -> task<int&> { co_return *p; };
  int& ref = weft::sync_wait(make(&target));
  ref = 7;
  CHECK(target == 7);
}

TEST_CASE("an exception thrown by a task propagates to its awaiter", "[task]") {
  auto failing = []() -> task<int> {
    throw std::runtime_error("boom");
    co_return 0;
  };
  auto caller = [](task<int> inner) -> task<std::string> {
    try {
      co_await std::move(inner);
    } catch (const std::runtime_error& error) {
      co_return std::string("caught ") + error.what();
    }
    co_return "not thrown";
  };
  CHECK(weft::sync_wait(caller(failing())) == "caught boom");
  CHECK_THROWS_WITH(weft::sync_wait(failing()), "boom");
}

TEST_CASE("a million sequential co_awaits of finished tasks run in constant stack", "[task]") {
  // Each child completes synchronously; without symmetric transfer every resumption of the parent
  // would nest one stack frame deeper and overflow the stack long before a million.
  auto loop = []() -> task<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i)
      sum += co_await answer();
    co_return sum;
  };
  CHECK(weft::sync_wait(loop()) == 42'000'000L);
}

TEST_CASE("a deep chain of nested tasks unwinds in constant stack", "[task]") {
  // depth nested awaits: each level awaits the next; completion of the innermost resumes each
  // awaiter in turn through symmetric transfer.
  struct chain {
    static task<int> down(int depth) {
      if (depth == 0) co_return 0;
      co_return co_await down(depth - 1) + 1;
    }
  };
  CHECK(weft::sync_wait(chain::down(100'000)) == 100'000);
}

TEST_CASE("every task frame and every value is destroyed exactly once", "[task]") {
  weft::test::lifetime_counter counter;
  {
    auto holder = [](weft::test::counted c) -> task<weft::test::counted> { co_return c; };
    auto outer = [&counter, holder]() -> task<int> {
      weft::test::counted local{counter, 5};
      weft::test::counted got = co_await holder(weft::test::counted{counter, 3});
      co_return local.value() + got.value();
    };
    CHECK(weft::sync_wait(outer()) == 8);
    // A task that is never awaited still destroys its frame (and its parameters).
    task<weft::test::counted> never = holder(weft::test::counted{counter, 9});
  }
  CHECK(counter.constructed() > 0);
  CHECK(counter.alive() == 0);
}

TEST_CASE("awaiting an empty or already-awaited task aborts with a message", "[task][death]") {
  auto death = weft::test::run_in_child([] {
    auto twice = []() -> task<int> {
      task<int> t = answer();
      int first = co_await std::move(t);
      int second = co_await std::move(t);  // consumed above
      co_return first + second;
    };
    (void)weft::sync_wait(twice());
  });
  CHECK(death.signalled);
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("co_await on an empty task"));
}

TEST_CASE("a task finishing on another executor resumes its awaiter on the awaiter's executor",
          "[task][stepped]") {
  weft::testing::stepped_scheduler home;
  weft::testing::stepped_scheduler elsewhere;
  std::string trace;
  auto child = [](weft::executor* away, std::string* log) -> task<int> {
    co_await weft::test::switch_to(*away);
    *log += "child on elsewhere;";
    co_return 1;
  };
  auto parent = [&]() -> task<int> {
    int value = co_await child(&elsewhere, &trace);
    trace += weft::current_executor() == &home ? "parent on home;" : "parent astray;";
    co_return value;
  };
  auto started = home.start(parent());
  CHECK(home.step());  // parent starts, child moves to `elsewhere`
  CHECK(home.ready() == 0);
  CHECK(elsewhere.step());  // child finishes there: parent must be handed back, not run inline
  CHECK(trace == "child on elsewhere;");
  CHECK(home.ready() == 1);
  CHECK(home.step());
  CHECK(trace == "child on elsewhere;parent on home;");
  REQUIRE(started.done());
  CHECK(started.get() == 1);
}

#include <weft/cancellation.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <thread>

#include "../support/counted.hpp"
#include "../support/death_test.hpp"

using weft::task;

namespace {

task<void> append(std::string* log, std::string text) {
  co_await weft::yield();
  *log += text;
}

task<void> wait_for_stop(int* cancelled) {
  try {
    co_await weft::suspend_until_cancelled{};
  } catch (const weft::operation_cancelled&) {
    ++*cancelled;
    throw;
  }
}

task<void> fail(std::string message) {
  co_await weft::yield();
  throw std::runtime_error(message);
}

}  // namespace

TEST_CASE("join waits for every spawned child", "[task_scope]") {
  std::string log;
  auto body = [](std::string* out) -> task<void> {
    weft::task_scope scope{"three"};
    scope.spawn(append(out, "a"));
    scope.spawn(append(out, "b"));
    scope.spawn(append(out, "c"));
    co_await scope.join();
    *out += "|joined";
  };
  weft::sync_wait(body(&log));
  CHECK(log == "abc|joined");
}

TEST_CASE("spawn returns before the child runs, which runs when the parent suspends",
          "[task_scope][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::string log;
  auto body = [](std::string* out) -> task<void> {
    weft::task_scope scope{"order"};
    scope.spawn(append(out, "child;"));
    *out += "after spawn;";
    co_await scope.join();
    *out += "joined;";
  };
  auto started = scheduler.start(body(&log));
  scheduler.run_until_idle();
  REQUIRE(started.done());
  started.get();
  CHECK(log == "after spawn;child;joined;");
}

TEST_CASE("a stepped interleaving of two children is reproduced exactly", "[task_scope][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::string log;
  auto child = [](std::string* out, std::string name) -> task<void> {
    for (int i = 0; i < 2; ++i) {
      *out += name + std::to_string(i) + " ";
      co_await weft::yield();
    }
  };
  auto body = [&]() -> task<void> {
    weft::task_scope scope{"interleave"};
    scope.spawn(child(&log, "a"));
    scope.spawn(child(&log, "b"));
    co_await scope.join();
  };
  auto started = scheduler.start(body());
  scheduler.step();   // body: spawns a and b (ready: a, b), suspends in join
  scheduler.step(1);  // ready [a, b]: b0
  scheduler.step(0);  // ready [a, b']: a0
  scheduler.step(0);  // ready [b', a']: b1
  CHECK(log == "b0 a0 b1 ");
  scheduler.run_until_idle();
  REQUIRE(started.done());
  CHECK(log == "b0 a0 b1 a1 ");
}

TEST_CASE("the first child failure stops the siblings and is rethrown by join", "[task_scope]") {
  int cancelled = 0;
  auto body = [](int* count) -> task<void> {
    weft::task_scope scope{"failing"};
    scope.spawn(wait_for_stop(count));
    scope.spawn(fail("first"));
    scope.spawn(wait_for_stop(count));
    co_await scope.join();
  };
  CHECK_THROWS_WITH(weft::sync_wait(body(&cancelled)), "first");
  CHECK(cancelled == 2);
}

TEST_CASE("children cancelled by the scope's own stop request are not failures", "[task_scope]") {
  int cancelled = 0;
  auto body = [](int* count) -> task<void> {
    weft::task_scope scope{"stopped"};
    scope.spawn(wait_for_stop(count));
    scope.spawn(wait_for_stop(count));
    co_await weft::yield();  // let the children reach their wait
    scope.request_stop();
    co_await scope.join();
  };
  weft::sync_wait(body(&cancelled));
  CHECK(cancelled == 2);
}

TEST_CASE("cancelling the task that joins cancels the children", "[task_scope][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::stop_source stop;
  int cancelled = 0;
  auto body = [](int* count) -> task<void> {
    weft::task_scope scope{"parent cancelled", co_await weft::get_stop_token()};
    scope.spawn(wait_for_stop(count));
    co_await scope.join();
  };
  auto started = scheduler.start(body(&cancelled), stop.get_token());
  scheduler.run_until_idle();
  CHECK_FALSE(started.done());
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(started.done());
  started.get();
  CHECK(cancelled == 1);
}

TEST_CASE("children may spawn siblings while the scope is being joined", "[task_scope]") {
  std::string log;
  auto body = [](std::string* out) -> task<void> {
    weft::task_scope scope{"growing"};
    auto spawner = [](weft::task_scope* s, std::string* o) -> task<void> {
      co_await weft::yield();
      s->spawn(append(o, "late;"));
      *o += "spawner;";
    };
    scope.spawn(spawner(&scope, out));
    co_await scope.join();
    *out += "joined";
  };
  weft::sync_wait(body(&log));
  CHECK(log == "spawner;late;joined");
}

TEST_CASE("a scope can be joined again after more spawns", "[task_scope]") {
  std::string log;
  auto body = [](std::string* out) -> task<void> {
    weft::task_scope scope{"reused"};
    scope.spawn(append(out, "1"));
    co_await scope.join();
    scope.spawn(append(out, "2"));
    co_await scope.join();
  };
  weft::sync_wait(body(&log));
  CHECK(log == "12");
}

TEST_CASE("children started on another thread's executor are joined", "[task_scope]") {
  // A stepped scheduler driven by a second thread stands in for a pool.
  weft::testing::stepped_scheduler remote;
  std::atomic<bool> stop{false};
  std::thread driver{[&] {
    while (!stop.load()) {
      if (!remote.step()) std::this_thread::yield();
    }
  }};
  std::atomic<int> ran{0};
  auto body = [](weft::executor* on, std::atomic<int>* count) -> task<void> {
    weft::task_scope scope{"remote"};
    auto child = [](std::atomic<int>* c) -> task<void> {
      c->fetch_add(1);
      co_return;
    };
    for (int i = 0; i < 100; ++i)
      scope.spawn(child(count), *on);
    co_await scope.join();
  };
  weft::sync_wait(body(&remote, &ran));
  stop = true;
  driver.join();
  CHECK(ran == 100);
}

TEST_CASE("every child frame is destroyed once the scope is joined", "[task_scope]") {
  weft::test::lifetime_counter counter;
  auto body = [](weft::test::lifetime_counter* c) -> task<void> {
    weft::task_scope scope{"counted"};
    for (int i = 0; i < 10; ++i) {
      scope.spawn([](weft::test::counted value) -> task<void> {
        co_await weft::yield();
        (void)value.value();
      }(weft::test::counted{*c, i}));
    }
    co_await scope.join();
  };
  weft::sync_wait(body(&counter));
  CHECK(counter.constructed() >= 10);
  CHECK(counter.alive() == 0);
}

TEST_CASE("a scope destroyed while children run aborts naming the scope", "[task_scope][death]") {
  auto death = weft::test::run_in_child([] {
    weft::testing::stepped_scheduler scheduler;
    {
      weft::task_scope scope{"forgotten-scope"};
      scope.spawn(append(nullptr, "never runs"), scheduler);
    }  // destroyed with one child still queued
  });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("task_scope 'forgotten-scope' destroyed while 1 "
                                                "child task(s) still run"));
}

TEST_CASE("a scope whose child failure was never joined aborts when destroyed",
          "[task_scope][death]") {
  auto death = weft::test::run_in_child([] {
    weft::task_scope scope{"unjoined"};
    scope.spawn([]() -> task<void> {
      throw std::runtime_error("lost");
      co_return;
    }());  // no executor on this thread: the child runs inline and fails at once
  });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("task_scope 'unjoined' destroyed without join()"));
}

TEST_CASE("a child cancelled through its own bound token is not a failure", "[task_scope]") {
  int cancelled = 0;
  auto body = [](int* count) -> task<void> {
    weft::task_scope scope{"one cancelled"};
    std::stop_source just_this_one;
    std::string log;
    scope.spawn(weft::with_stop_token(wait_for_stop(count), just_this_one.get_token()));
    scope.spawn(append(&log, "sibling ran"));
    co_await weft::yield();
    just_this_one.request_stop();
    co_await scope.join();
    CHECK_FALSE(scope.get_stop_token().stop_requested());  // the siblings were not stopped
    CHECK(log == "sibling ran");
  };
  weft::sync_wait(body(&cancelled));
  CHECK(cancelled == 1);
}

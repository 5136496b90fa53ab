#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "../support/death_test.hpp"

using weft::task;

namespace {

/// Suspends and has a plain thread resume the coroutine through the executor it suspended on.
struct resumed_by_thread {
  weft::resume_item item;
  weft::executor* home = nullptr;
  std::thread thread;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    item.handle = waiting;
    home = weft::current_executor();
    thread = std::thread([this] { weft::resume_on(home, item); });
  }
  void await_resume() { thread.join(); }
};

}  // namespace

TEST_CASE("sync_wait runs on the calling thread what other threads hand back to it",
          "[sync_wait]") {
  auto body = []() -> task<bool> {
    std::thread::id before = std::this_thread::get_id();
    for (int i = 0; i < 100; ++i)
      co_await resumed_by_thread{};
    co_return std::this_thread::get_id() == before;
  };
  CHECK(weft::sync_wait(body()));
}

TEST_CASE("sync_wait rethrows the task's exception", "[sync_wait]") {
  auto failing = []() -> task<void> {
    throw std::logic_error("bad");
    co_return;
  };
  CHECK_THROWS_AS(weft::sync_wait(failing()), std::logic_error);
}

TEST_CASE("sync_wait inside an executor aborts instead of blocking it", "[sync_wait][death]") {
  auto death = weft::test::run_in_child([] {
    weft::testing::stepped_scheduler scheduler;
    auto inner = []() -> task<int> { co_return 1; };
    auto outer = [inner]() -> task<int> { co_return weft::sync_wait(inner()); };
    auto started = scheduler.start(outer());
    scheduler.run_until_idle();
  });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("sync_wait called on a thread running 'stepped'"));
}

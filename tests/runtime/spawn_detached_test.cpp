#include <weft/spawn_detached.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

#include "../support/death_test.hpp"

using weft::task;

TEST_CASE("a detached task runs to completion on the executor it was given", "[spawn_detached]") {
  weft::testing::stepped_scheduler scheduler;
  int ran = 0;
  weft::spawn_detached(
      [](int* out) -> task<void> {
        ++*out;
        co_return;
      }(&ran),
      &scheduler);
  CHECK(ran == 0);
  scheduler.run_until_idle();
  CHECK(ran == 1);
}

TEST_CASE("a detached task that throws aborts the program with its message",
          "[spawn_detached][death]") {
  auto death = weft::test::run_in_child([] {
    weft::spawn_detached([]() -> task<void> {
      throw std::runtime_error("nobody to report to");
      co_return;
    }());
  });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("detached task failed: nobody to report to"));
}

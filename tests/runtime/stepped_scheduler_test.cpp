#include <weft/task.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using weft::task;

namespace {
task<void> steps(std::string* log, char name) {
  for (int i = 0; i < 3; ++i) {
    *log += name;
    co_await weft::yield();
  }
}

std::string shuffled_trace(std::uint64_t seed) {
  weft::testing::stepped_scheduler scheduler;
  std::string log;
  auto a = scheduler.start(steps(&log, 'a'));
  auto b = scheduler.start(steps(&log, 'b'));
  auto c = scheduler.start(steps(&log, 'c'));
  scheduler.run_until_idle_shuffled(seed);
  return log;
}
}  // namespace

TEST_CASE("the stepped scheduler runs only what the test steps, in the order chosen", "[stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::string log;
  auto a = scheduler.start(steps(&log, 'a'));
  auto b = scheduler.start(steps(&log, 'b'));
  CHECK(log.empty());
  CHECK(scheduler.ready() == 2);
  scheduler.step(1);
  CHECK(log == "b");
  scheduler.step(0);
  CHECK(log == "ba");
  CHECK(scheduler.run_until_idle() == 6);  // 2 more steps each, plus each one's final resume
  CHECK(log == "bababa");
  CHECK(a.done());
  CHECK(b.done());
}

TEST_CASE("a shuffled run is reproducible from its seed and every step still happens",
          "[stepped]") {
  std::string first = shuffled_trace(7);
  CHECK(first == shuffled_trace(7));
  CHECK(std::count(first.begin(), first.end(), 'a') == 3);
  CHECK(std::count(first.begin(), first.end(), 'b') == 3);
  CHECK(std::count(first.begin(), first.end(), 'c') == 3);
  bool some_seed_differs = false;
  for (std::uint64_t seed = 0; seed < 20 && !some_seed_differs; ++seed)
    some_seed_differs = shuffled_trace(seed) != first;
  CHECK(some_seed_differs);
}

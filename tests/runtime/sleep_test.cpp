#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/task_scope.hpp>
#include <weft/when_any.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft::task;

namespace {
weft::io_loop::options manual_clock() {
  weft::io_loop::options options;
  options.clock = weft::io_loop::clock_mode::manual;
  return options;
}
}  // namespace

TEST_CASE("timers fire in deadline order, ties in the order they were set", "[sleep]") {
  weft::io_loop loop{manual_clock()};
  std::string order;
  auto sleeper = [](std::chrono::milliseconds d, std::string* out, char name) -> task<void> {
    co_await weft::sleep_for(d);
    *out += name;
  };
  auto main = [&]() -> task<void> {
    weft::task_scope scope{"timers"};
    scope.spawn(sleeper(30ms, &order, 'c'));
    scope.spawn(sleeper(10ms, &order, 'a'));
    scope.spawn(sleeper(20ms, &order, 'b'));
    scope.spawn(sleeper(20ms, &order, 'B'));
    scope.spawn(sleeper(0ms, &order, '0'));
    co_await scope.join();
  };
  auto start = loop.now();
  loop.run(main());
  CHECK(order == "0abBc");
  CHECK(loop.now() - start == 30ms);  // manual time jumped from deadline to deadline
}

TEST_CASE("a manual clock makes an hour of sleeping take no wall time", "[sleep]") {
  weft::io_loop loop{manual_clock()};
  auto wall_start = std::chrono::steady_clock::now();
  auto main = []() -> task<int> {
    int naps = 0;
    for (; naps < 60; ++naps)
      co_await weft::sleep_for(1min);
    co_return naps;
  };
  CHECK(loop.run(main()) == 60);
  // Not a speed assertion: an hour of real sleeping could never pass this.
  CHECK(std::chrono::steady_clock::now() - wall_start < 10min);
}

TEST_CASE("100k concurrent sleepers each wake exactly once", "[sleep]") {
  weft::io_loop loop{manual_clock()};
  constexpr int sleepers = 100'000;
  std::vector<unsigned char> woke(sleepers, 0);
  auto sleeper = [](unsigned char* flag, std::chrono::milliseconds d) -> task<void> {
    co_await weft::sleep_for(d);
    ++*flag;
  };
  auto main = [&]() -> task<void> {
    weft::task_scope scope{"many"};
    for (int i = 0; i < sleepers; ++i)
      scope.spawn(sleeper(&woke[static_cast<std::size_t>(i)], std::chrono::milliseconds(i % 977)));
    co_await scope.join();
  };
  loop.run(main());
  for (unsigned char w : woke)
    REQUIRE(w == 1);
}

TEST_CASE("a real sleep waits at least its duration", "[sleep]") {
  weft::io_loop loop;
  auto main = [](weft::io_loop* l) -> task<bool> {
    auto before = l->now();
    co_await weft::sleep_for(20ms);
    co_return l->now() - before >= 20ms;
  };
  CHECK(loop.run(main(&loop)));
}

TEST_CASE("a sleep cancelled from another thread ends at once with operation_cancelled",
          "[sleep]") {
  weft::io_loop loop;
  std::thread stopper{[&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  }};
  auto main = []() -> task<void> { co_await weft::sleep_for(24h); };
  CHECK_THROWS_AS(loop.run(main()), weft::operation_cancelled);
  stopper.join();
}

TEST_CASE("when_any between two sleeps returns the shorter and cancels the longer", "[sleep]") {
  weft::io_loop loop{manual_clock()};
  auto nap = [](std::chrono::milliseconds d, int id) -> task<int> {
    co_await weft::sleep_for(d);
    co_return id;
  };
  auto start = loop.now();
  auto result = loop.run(weft::when_any(nap(1h, 1), nap(5ms, 2)));
  CHECK(std::get<1>(result) == 2);
  CHECK(loop.now() - start == 5ms);  // the hour-long loser did not hold the loop
}

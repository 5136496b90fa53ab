#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/sleep.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_any.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

using weft::task;
using namespace std::chrono_literals;

namespace {

weft::thread_pool::options one_worker() {
  weft::thread_pool::options options;
  options.workers = 1;
  return options;
}

/// Occupies the pool's only worker until released.
struct blocker {
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  void operator()() {
    started = true;
    while (!release.load())
      std::this_thread::sleep_for(1ms);
  }
};

}  // namespace

TEST_CASE("offload runs on the pool and resumes the loop coroutine on the loop", "[offload]") {
  weft::thread_pool pool{one_worker()};
  weft::io_loop loop;
  auto main = [](weft::thread_pool* p) -> task<bool> {
    auto loop_thread = std::this_thread::get_id();
    std::thread::id ran_on;
    int value = co_await weft::offload(
        *p,
        [&ran_on](int a, int b) {
          ran_on = std::this_thread::get_id();
          return a * b;
        },
        6, 7);
    co_return value == 42 && ran_on != loop_thread&& std::this_thread::get_id() == loop_thread;
  };
  CHECK(loop.run(main(&pool)));
}

TEST_CASE("offload rethrows the function's exception where it was awaited", "[offload]") {
  weft::thread_pool pool{one_worker()};
  auto main = [](weft::thread_pool* p) -> task<void> {
    co_await weft::offload(*p, [] { throw std::invalid_argument("bad input"); });
  };
  CHECK_THROWS_AS(weft::sync_wait(main(&pool)), std::invalid_argument);
}

TEST_CASE("cancelling an offload that has not started withdraws it", "[offload]") {
  weft::thread_pool pool{one_worker()};
  blocker busy;
  auto occupied = pool.submit(std::ref(busy));
  while (!busy.started)
    std::this_thread::sleep_for(1ms);
  std::atomic<int> ran{0};
  std::stop_source stop;
  auto main = [](weft::thread_pool* p, std::atomic<int>* count) -> task<void> {
    co_await weft::offload(*p, [count] { count->fetch_add(1); });
  };
  std::thread stopper{[&] {
    std::this_thread::sleep_for(10ms);
    stop.request_stop();
  }};
  CHECK_THROWS_AS(weft::sync_wait(weft::with_stop_token(main(&pool, &ran), stop.get_token())),
                  weft::operation_cancelled);
  stopper.join();
  busy.release = true;
  occupied.get();
  pool.stop();
  CHECK(ran == 0);  // withdrawn: it never ran, not even at shutdown
}

TEST_CASE("cancelling a started offload waits for it and drops its result", "[offload]") {
  weft::thread_pool pool{one_worker()};
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};
  std::atomic<bool> finished{false};
  std::stop_source stop;
  auto main = [&]() -> task<int> {
    co_return co_await weft::offload(pool, [&] {
      started = true;
      while (!release.load())
        std::this_thread::sleep_for(1ms);
      finished = true;
      return 1;
    });
  };
  std::thread stopper{[&] {
    while (!started.load())
      std::this_thread::sleep_for(1ms);
    stop.request_stop();
    std::this_thread::sleep_for(10ms);
    release = true;
  }};
  CHECK_THROWS_AS(weft::sync_wait(weft::with_stop_token(main(), stop.get_token())),
                  weft::operation_cancelled);
  CHECK(finished);  // the awaiter was not resumed before the function had finished
  stopper.join();
}

TEST_CASE("offload to a stopped pool throws pool_stopped", "[offload]") {
  weft::thread_pool pool{one_worker()};
  pool.stop();
  auto main = [](weft::thread_pool* p) -> task<void> { co_await weft::offload(*p, [] {}); };
  CHECK_THROWS_AS(weft::sync_wait(main(&pool)), weft::pool_stopped);
}

TEST_CASE("a loop stays responsive while the pool computes", "[offload]") {
  weft::thread_pool pool{one_worker()};
  weft::io_loop loop;
  auto main = [](weft::thread_pool* p) -> task<int> {
    int ticks = 0;
    auto ticker = [](int* t) -> task<int> {
      while (true) {
        co_await weft::sleep_for(1ms);
        ++*t;
      }
    };
    auto compute = [](weft::thread_pool* pp) -> task<int> {
      co_return co_await weft::offload(*pp, [] {
        std::this_thread::sleep_for(50ms);
        return 1;
      });
    };
    auto result = co_await weft::when_any(compute(p), ticker(&ticks));
    CHECK(result.index() == 0);
    co_return ticks;
  };
  CHECK(loop.run(main(&pool)) > 0);  // the loop ticked while the work ran elsewhere
}

TEST_CASE("stop() requested from a pool worker ends the loop's run", "[offload][io_loop]") {
  weft::thread_pool pool{one_worker()};
  weft::io_loop loop;
  auto main = [](weft::thread_pool* p, weft::io_loop* l) -> task<void> {
    co_await weft::offload(*p, [l] { l->stop(); });  // runs on the worker
    co_await weft::sleep_for(24h);                   // cancelled by that stop
  };
  CHECK_THROWS_AS(loop.run(main(&pool, &loop)), weft::operation_cancelled);
}

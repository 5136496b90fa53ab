#include <weft/log.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../support/log_capture.hpp"

using weft::task;

namespace {

weft::thread_pool::options workers(std::size_t n) {
  weft::thread_pool::options options;
  options.workers = n;
  return options;
}

task<long> fib(weft::thread_pool* pool, int n) {
  if (n < 12) {
    long a = 0, b = 1;
    for (int i = 0; i < n; ++i)
      b = std::exchange(a, b) + b;
    co_return a;
  }
  auto [left, right] = co_await weft::when_all(pool->spawn(fib(pool, n - 1)), fib(pool, n - 2));
  co_return left + right;
}

}  // namespace

TEST_CASE("schedule moves a coroutine onto a named pool worker", "[thread_pool]") {
  weft::thread_pool pool{workers(2)};
  auto hop = [](weft::thread_pool* p) -> task<std::string> {
    co_await p->schedule();
    co_return std::string(weft::thread_name()) +
        (weft::thread_pool::current() == p ? " in pool" : " elsewhere");
  };
  std::string where = weft::sync_wait(hop(&pool));
  CHECK((where == "pool-0 in pool" || where == "pool-1 in pool"));
}

TEST_CASE("a task awaiting pool work resumes where it was, not on the pool", "[thread_pool]") {
  weft::thread_pool pool{workers(2)};
  auto body = [](weft::thread_pool* p) -> task<bool> {
    auto here = std::this_thread::get_id();
    int value = co_await p->spawn([]() -> task<int> { co_return 7; }());
    co_return value == 7 && std::this_thread::get_id() == here;
  };
  CHECK(weft::sync_wait(body(&pool)));
}

TEST_CASE("fork-join on the pool computes fib correctly", "[thread_pool]") {
  weft::thread_pool pool{workers(2)};
  CHECK(weft::sync_wait(pool.spawn(fib(&pool, 25))) == 75025);
}

TEST_CASE("submit from a plain thread returns the result, map keeps input order", "[thread_pool]") {
  weft::thread_pool pool{workers(3)};
  auto first = pool.submit([] { return 6 * 7; });
  auto second = pool.submit([] { return std::string("pool"); });
  CHECK(first.get() == 42);
  CHECK(second.get() == "pool");
  std::vector<std::string> names{"a", "bb", "ccc", "dddd"};
  std::vector<std::size_t> lengths = pool.map([](const std::string& s) { return s.size(); }, names);
  CHECK(lengths == std::vector<std::size_t>{1, 2, 3, 4});
}

TEST_CASE("a submitted function's exception is rethrown by get", "[thread_pool]") {
  weft::thread_pool pool{workers(1)};
  auto failing = pool.submit([]() -> int { throw std::runtime_error("in the pool"); });
  CHECK_THROWS_WITH(failing.get(), "in the pool");
}

TEST_CASE("a future can be awaited by a coroutine", "[thread_pool]") {
  weft::thread_pool pool{workers(2)};
  auto body = [](weft::thread_pool* p) -> task<int> {
    co_return co_await p->submit([] { return 5; });
  };
  CHECK(weft::sync_wait(body(&pool)) == 5);
}

TEST_CASE("stop runs every queued item before the workers exit", "[thread_pool]") {
  std::atomic<int> ran{0};
  weft::thread_pool pool{workers(2)};
  std::vector<weft::pool_future<void>> futures;
  for (int i = 0; i < 2000; ++i)
    futures.push_back(pool.submit([&ran] {
      volatile int sink = 0;
      for (int k = 0; k < 1000; ++k)
        sink = sink + k;
      ran.fetch_add(1);
    }));
  pool.stop();
  CHECK(ran == 2000);
  for (auto& f : futures)
    CHECK(f.ready());
  CHECK_THROWS_AS(pool.submit([] {}), weft::pool_stopped);
}

TEST_CASE("work spawned by running work during shutdown still runs", "[thread_pool]") {
  std::atomic<int> ran{0};
  {
    weft::thread_pool pool{workers(2)};
    std::atomic<bool> parent_started{false};
    std::thread waiter{[&] {
      weft::sync_wait([](weft::thread_pool* p, std::atomic<int>* count,
                         std::atomic<bool>* started) -> task<void> {
        co_await p->schedule();
        started->store(true);
        std::vector<task<void>> children;
        for (int i = 0; i < 100; ++i)
          children.push_back(p->spawn([](std::atomic<int>* c) -> task<void> {
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            c->fetch_add(1);
            co_return;
          }(count)));
        co_await weft::when_all(std::move(children));
      }(&pool, &ran, &parent_started));
    }};
    while (!parent_started.load())
      std::this_thread::yield();
    pool.stop();  // the parent is still spawning: all of it must run before the workers exit
    waiter.join();
  }
  CHECK(ran == 100);
}

TEST_CASE("stop requested from a task running on the pool does not deadlock", "[thread_pool]") {
  weft::thread_pool pool{workers(2)};
  auto stopped = pool.submit([&pool] {
    pool.stop();  // on a worker: requests, does not join itself
    return true;
  });
  CHECK(stopped.get());
  pool.stop();  // from outside: joins
  CHECK_THROWS_AS(pool.submit([] {}), weft::pool_stopped);
}

TEST_CASE("many submitters and nested spawns: every task runs exactly once",
          "[thread_pool][stress]") {
  weft::thread_pool pool{workers(2)};
  constexpr int submitters = 4;
  constexpr int each = 2000;
  std::atomic<int> leaves{0};
  auto nested = [](weft::thread_pool* p, std::atomic<int>* count) -> task<void> {
    auto leaf = [](std::atomic<int>* c) -> task<void> {
      c->fetch_add(1);
      co_return;
    };
    co_await weft::when_all(p->spawn(leaf(count)), p->spawn(leaf(count)));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back([&] {
      std::vector<weft::pool_future<void>> futures;
      for (int i = 0; i < each; ++i)
        futures.push_back(pool.submit([] {}));
      for (int i = 0; i < each / 10; ++i)
        weft::sync_wait(pool.spawn(nested(&pool, &leaves)));
      for (auto& f : futures)
        f.get();
    });
  for (auto& t : threads)
    t.join();
  CHECK(leaves == submitters * (each / 10) * 2);
}

TEST_CASE("stopping while other threads keep submitting neither hangs nor loses accepted work",
          "[thread_pool][stress]") {
  std::atomic<int> accepted{0};
  std::atomic<int> ran{0};
  std::atomic<bool> go{true};
  std::vector<std::thread> submitters;
  {
    weft::thread_pool pool{workers(2)};
    for (int t = 0; t < 3; ++t)
      submitters.emplace_back([&] {
        while (go.load()) {
          try {
            auto f = pool.submit([&ran] { ran.fetch_add(1); });
            accepted.fetch_add(1);
          } catch (const weft::pool_stopped&) {
            return;
          }
        }
      });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.stop();
    go = false;
    for (auto& s : submitters)
      s.join();
    CHECK(ran == accepted);
  }
}

TEST_CASE("pool workers are named in log lines", "[thread_pool][log]") {
  weft::test::log_capture captured;
  {
    weft::thread_pool::options options;
    options.workers = 1;
    options.name = "crunch";
    weft::thread_pool pool{options};
    pool.submit([] { weft::log("working"); }).get();
  }
  CHECK_THAT(captured.text(), Catch::Contains("[weft crunch-0] I working"));
}

TEST_CASE("the default pool is created on first use and works", "[thread_pool]") {
  weft::thread_pool& pool = weft::default_pool();
  CHECK(pool.size() >= 1);
  CHECK(pool.submit([] { return 1; }).get() == 1);
}

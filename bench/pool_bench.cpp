// bench/pool_bench.cpp — the work-stealing pool.
//
//   fib/32                fib(32), both halves forked above a cutoff of 20, on 2 workers:
//                         weft (when_all + pool.spawn) against tbb_fib (oneTBB task_group, 2
//                         threads) and serial_fib (one thread, no tasks).
//   offload_round_trip    a loop coroutine offloads an empty function and is resumed on the loop.
//                         Baselines: std_async_round_trip (std::async + get),
//                         condvar_pool_round_trip (a mutex+condition_variable pool with
//                         std::future), asio_hop_round_trip (Boost.Asio: co_spawn onto a
//                         thread_pool, awaited from an io_context).
//   tiny_tasks_outside    a million empty tasks spawned into a scope from a plain thread;
//   tiny_tasks_inside     the same, spawned by a coroutine running on the pool;
//                         baseline tbb_tiny_tasks: task_group::run of a million empty tasks.
//   idle_pool_cpu         process CPU time over 5 idle seconds after a burst, % of one core.
//
// Run: scripts/bench.sh pool_bench
#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task_scope.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <benchmark/benchmark.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "support/process_cpu.hpp"

namespace {

using weft::task;
constexpr int cutoff = 20;

[[gnu::noinline]] long serial(int n) {
  return n < 2 ? n : serial(n - 1) + serial(n - 2);
}

weft::thread_pool::options two_workers() {
  weft::thread_pool::options options;
  options.workers = 2;
  return options;
}

task<long> fib(weft::thread_pool* pool, int n) {
  if (n < cutoff) co_return serial(n);
  auto [left, right] = co_await weft::when_all(pool->spawn(fib(pool, n - 1)), fib(pool, n - 2));
  co_return left + right;
}

void weft_fib(benchmark::State& state) {
  weft::thread_pool pool{two_workers()};
  for (auto _ : state)
    benchmark::DoNotOptimize(weft::sync_wait(pool.spawn(fib(&pool, 32))));
}
BENCHMARK(weft_fib)->Name("fib/32")->UseRealTime()->Unit(benchmark::kMillisecond);

long tbb_fib_of(int n) {
  if (n < cutoff) return serial(n);
  long left = 0;
  tbb::task_group group;
  group.run([&] { left = tbb_fib_of(n - 1); });
  long right = tbb_fib_of(n - 2);
  group.wait();
  return left + right;
}

void tbb_fib(benchmark::State& state) {
  tbb::task_arena arena{2};
  for (auto _ : state)
    arena.execute([] { benchmark::DoNotOptimize(tbb_fib_of(32)); });
}
BENCHMARK(tbb_fib)->Name("tbb_fib/32")->UseRealTime()->Unit(benchmark::kMillisecond);

void serial_fib(benchmark::State& state) {
  int n = 32;
  for (auto _ : state) {
    benchmark::DoNotOptimize(n);  // keep the compiler from evaluating fib(32) at compile time
    long left = serial(n - 1);
    benchmark::DoNotOptimize(left);
    benchmark::DoNotOptimize(left + serial(n - 2));
  }
}
BENCHMARK(serial_fib)->Name("serial_fib/32")->UseRealTime()->Unit(benchmark::kMillisecond);

void offload_round_trip(benchmark::State& state) {
  weft::thread_pool pool{two_workers()};
  weft::io_loop loop;
  loop.run([](benchmark::State* s, weft::thread_pool* p) -> task<void> {
    for (auto _ : *s)
      co_await weft::offload(*p, [] {});
  }(&state, &pool));
}
BENCHMARK(offload_round_trip)->UseRealTime();

void std_async_round_trip(benchmark::State& state) {
  for (auto _ : state)
    std::async(std::launch::async, [] {}).get();
}
BENCHMARK(std_async_round_trip)->UseRealTime();

/// What a C++ programmer writes without a runtime: a queue under a mutex, workers on a
/// condition_variable, std::packaged_task/std::future for the result.
class condvar_pool {
 public:
  explicit condvar_pool(int threads) {
    for (int i = 0; i < threads; ++i)
      workers_.emplace_back([this] {
        while (true) {
          std::packaged_task<void()> job;
          {
            std::unique_lock lock{mutex_};
            ready_.wait(lock, [this] { return done_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
          }
          job();
        }
      });
  }
  ~condvar_pool() {
    {
      std::lock_guard lock{mutex_};
      done_ = true;
    }
    ready_.notify_all();
    for (auto& w : workers_)
      w.join();
  }
  std::future<void> submit(std::function<void()> fn) {
    std::packaged_task<void()> job{std::move(fn)};
    auto future = job.get_future();
    {
      std::lock_guard lock{mutex_};
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
    return future;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> jobs_;
  bool done_ = false;
  std::vector<std::thread> workers_;
};

void condvar_pool_round_trip(benchmark::State& state) {
  condvar_pool pool{2};
  for (auto _ : state)
    pool.submit([] {}).get();
}
BENCHMARK(condvar_pool_round_trip)->UseRealTime();

void asio_hop_round_trip(benchmark::State& state) {
  boost::asio::io_context context{1};
  boost::asio::thread_pool pool{2};
  boost::asio::co_spawn(
      context,
      [&]() -> boost::asio::awaitable<void> {
        for (auto _ : state)
          co_await boost::asio::co_spawn(
              pool, []() -> boost::asio::awaitable<void> { co_return; },
              boost::asio::use_awaitable);
      },
      [](std::exception_ptr) {});
  context.run();
  pool.join();
}
BENCHMARK(asio_hop_round_trip)->UseRealTime();

constexpr int tiny_count = 1'000'000;

task<void> empty_task() {
  co_return;
}

void tiny_tasks_outside(benchmark::State& state) {
  weft::thread_pool pool{two_workers()};
  for (auto _ : state) {
    weft::sync_wait([](weft::thread_pool* p) -> task<void> {
      weft::task_scope scope{"tiny"};
      for (int i = 0; i < tiny_count; ++i)
        scope.spawn(empty_task(), *p);
      co_await scope.join();
    }(&pool));
  }
  state.SetItemsProcessed(state.iterations() * tiny_count);
}
BENCHMARK(tiny_tasks_outside)->UseRealTime()->Unit(benchmark::kMillisecond);

void tiny_tasks_inside(benchmark::State& state) {
  weft::thread_pool pool{two_workers()};
  for (auto _ : state) {
    weft::sync_wait(pool.spawn([](weft::thread_pool* p) -> task<void> {
      weft::task_scope scope{"tiny"};
      for (int i = 0; i < tiny_count; ++i)
        scope.spawn(empty_task(), *p);
      co_await scope.join();
    }(&pool)));
  }
  state.SetItemsProcessed(state.iterations() * tiny_count);
}
BENCHMARK(tiny_tasks_inside)->UseRealTime()->Unit(benchmark::kMillisecond);

void tbb_tiny_tasks(benchmark::State& state) {
  tbb::task_arena arena{2};
  for (auto _ : state) {
    arena.execute([] {
      tbb::task_group group;
      for (int i = 0; i < tiny_count; ++i)
        group.run([] {});
      group.wait();
    });
  }
  state.SetItemsProcessed(state.iterations() * tiny_count);
}
BENCHMARK(tbb_tiny_tasks)->UseRealTime()->Unit(benchmark::kMillisecond);

void idle_pool_cpu(benchmark::State& state) {
  weft::thread_pool pool{two_workers()};
  double percent = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i)
      pool.submit([] {}).get();  // a burst, then nothing
    double before = weft::bench::process_cpu_seconds();
    auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(5));
    std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    percent = 100.0 * (weft::bench::process_cpu_seconds() - before) / wall.count();
  }
  state.counters["cpu_percent_of_a_core"] = percent;
}
BENCHMARK(idle_pool_cpu)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

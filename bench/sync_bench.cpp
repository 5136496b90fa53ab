// bench/sync_bench.cpp — the primitives between loop, pool and threads.
//
//   loop_ping_pong          two coroutines on one loop bouncing a token over two rendezvous
//                           channels (one iteration = a round trip). Baseline:
//                           asio_channel_ping_pong — two Asio C++20 coroutines on one io_context
//                           over two rendezvous asio::experimental::channel (Boost >= 1.81;
//                           Debian 12: libboost1.81-dev).
//   loop_pool_ping_pong     the same between a loop coroutine and a pool coroutine (one worker).
//                           Baselines: condvar_ping_pong — two std::threads, std::mutex +
//                           condition_variable; asio_concurrent_channel_ping_pong — an Asio
//                           coroutine on an io_context run by the benchmark thread and one on a
//                           one-thread asio::thread_pool, over two rendezvous
//                           asio::experimental::concurrent_channel.
//   loop_pool_hop           what loop_pool_ping_pong costs without the channels: one coroutine
//                           hopping to the pool and back (co_await pool.schedule(), then
//                           loop.schedule()) — the executors' share of the hand-off.
//   spinning_ping_pong      the machine's floor: two threads bouncing one atomic word, each
//                           spinning for its turn (one cache line there and back).
//   idle_after_ping_pong_cpu  the loop and the pool (one worker) after a burst of 10,000 round
//                           trips, both then idle for a second (the pool coroutine waiting in
//                           recv, the loop in sleep_for): process CPU time over that second, % of
//                           one core. The spinning that makes hand-offs fast must stop on its own.
//   channel_throughput/P    P plain threads blocking_send into a channel of 1024, one thread
//                           blocking_recv: values per second.
//   mutex_uncontended       co_await m.lock(); m.unlock() with nobody else around. Baseline:
//                           std_mutex_uncontended.
//
// The process starts a thread before the first benchmark (see main).
//
// Run: scripts/bench.sh sync_bench
#include <weft/channel.hpp>
#include <weft/io_loop.hpp>
#include <weft/mutex.hpp>
#include <weft/sleep.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task_scope.hpp>
#include <weft/thread_pool.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "support/condvar_ping_pong.hpp"
#include "support/process_cpu.hpp"

namespace {

using weft::task;

task<void> pong(weft::channel<int>* in, weft::channel<int>* out) {
  while (auto v = co_await in->recv())
    co_await out->send(*v);
  out->close();
}

void loop_ping_pong(benchmark::State& state) {
  weft::io_loop loop;
  loop.run([](benchmark::State* s) -> task<void> {
    weft::channel<int> there{0};
    weft::channel<int> back{0};
    weft::task_scope scope{"pong"};
    scope.spawn(pong(&there, &back));
    for (auto _ : *s) {
      co_await there.send(1);
      benchmark::DoNotOptimize(co_await back.recv());
    }
    there.close();
    co_await scope.join();
  }(&state));
}
BENCHMARK(loop_ping_pong);

// The Asio baselines: the same ping-pong over asio::experimental::channel (one thread) and
// concurrent_channel (between threads), both rendezvous (capacity 0), on C++20 awaitables.
namespace asio = boost::asio;
using asio_channel = asio::experimental::channel<void(boost::system::error_code, int)>;
using asio_concurrent_channel =
    asio::experimental::concurrent_channel<void(boost::system::error_code, int)>;

// Sends back every value received until `in` is closed, then closes `out`.
template <typename Channel>
asio::awaitable<void> asio_pong(Channel& in, Channel& out) {
  while (true) {
    boost::system::error_code ec;
    int v = co_await in.async_receive(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // experimental::error::channel_closed
    co_await out.async_send(boost::system::error_code{}, v, asio::use_awaitable);
  }
  out.close();
}

// One iteration of `state` = one round trip. Then closes `there` and waits until the pong
// coroutine has seen it (it closes `back`), so nothing is left waiting on either channel.
template <typename Channel>
asio::awaitable<void> asio_ping(benchmark::State& state, Channel& there, Channel& back) {
  for (auto _ : state) {
    co_await there.async_send(boost::system::error_code{}, 1, asio::use_awaitable);
    benchmark::DoNotOptimize(co_await back.async_receive(asio::use_awaitable));
  }
  there.close();
  boost::system::error_code closed;
  co_await back.async_receive(asio::redirect_error(asio::use_awaitable, closed));
}

// co_spawn completion: an exception escaping a coroutine leaves io_context::run() (or, on a
// thread_pool thread, terminates) instead of being swallowed as with `detached`.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

void asio_channel_ping_pong(benchmark::State& state) {
  asio::io_context context{1};
  asio_channel there{context, 0};
  asio_channel back{context, 0};
  asio::co_spawn(context, asio_pong(there, back), rethrow);
  asio::co_spawn(context, asio_ping(state, there, back), rethrow);
  context.run();
}
BENCHMARK(asio_channel_ping_pong);

void loop_pool_ping_pong(benchmark::State& state) {
  weft::thread_pool::options options;
  options.workers = 1;
  weft::thread_pool pool{options};
  weft::io_loop loop;
  loop.run([](benchmark::State* s, weft::thread_pool* p) -> task<void> {
    weft::channel<int> there{0};
    weft::channel<int> back{0};
    weft::task_scope scope{"pong"};
    scope.spawn(p->spawn(pong(&there, &back)));
    for (auto _ : *s) {
      co_await there.send(1);
      benchmark::DoNotOptimize(co_await back.recv());
    }
    there.close();
    co_await scope.join();
  }(&state, &pool));
}
BENCHMARK(loop_pool_ping_pong)->UseRealTime();

void loop_pool_hop(benchmark::State& state) {
  weft::thread_pool::options options;
  options.workers = 1;
  weft::thread_pool pool{options};
  weft::io_loop loop;
  loop.run([](benchmark::State* s, weft::thread_pool* p, weft::io_loop* l) -> task<void> {
    for (auto _ : *s) {
      co_await p->schedule();
      co_await l->schedule();
    }
  }(&state, &pool, &loop));
}
BENCHMARK(loop_pool_hop)->UseRealTime();

void spinning_ping_pong(benchmark::State& state) {
  std::atomic<int> turn{0};  // 1: the echo thread's turn, 0: ours, -1: stop
  std::thread echo{[&turn] {
    while (true) {
      int seen = turn.load(std::memory_order_acquire);
      if (seen < 0) return;
      if (seen == 1)
        turn.store(0, std::memory_order_release);
      else
        __builtin_ia32_pause();
    }
  }};
  for (auto _ : state) {
    turn.store(1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 0)
      __builtin_ia32_pause();
  }
  turn.store(-1, std::memory_order_release);
  echo.join();
}
BENCHMARK(spinning_ping_pong)->UseRealTime();

// The pong coroutine on a one-thread asio::thread_pool, the ping coroutine on an io_context run by
// the benchmark thread (like the loop and the one-worker pool above).
void asio_concurrent_channel_ping_pong(benchmark::State& state) {
  asio::thread_pool pool{1};
  asio::io_context context{1};
  asio_concurrent_channel there{pool, 0};
  asio_concurrent_channel back{pool, 0};
  asio::co_spawn(pool, asio_pong(there, back), rethrow);
  asio::co_spawn(context, asio_ping(state, there, back), rethrow);
  context.run();  // returns once ping has seen `back` closed, i.e. pong has finished its loop
  pool.join();
}
BENCHMARK(asio_concurrent_channel_ping_pong)->UseRealTime();

void idle_after_ping_pong_cpu(benchmark::State& state) {
  weft::thread_pool::options options;
  options.workers = 1;
  weft::thread_pool pool{options};
  weft::io_loop loop;
  double percent = 0;
  for (auto _ : state) {
    loop.run([](weft::thread_pool* p, double* out) -> task<void> {
      weft::channel<int> there{0};
      weft::channel<int> back{0};
      weft::task_scope scope{"pong"};
      scope.spawn(p->spawn(pong(&there, &back)));
      for (int i = 0; i < 10'000; ++i) {
        co_await there.send(1);
        benchmark::DoNotOptimize(co_await back.recv());
      }
      double before = weft::bench::process_cpu_seconds();
      auto start = std::chrono::steady_clock::now();
      co_await weft::sleep_for(std::chrono::seconds(1));
      std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
      *out = 100.0 * (weft::bench::process_cpu_seconds() - before) / wall.count();
      there.close();
      co_await scope.join();
    }(&pool, &percent));
  }
  state.counters["cpu_percent_of_a_core"] = percent;
}
BENCHMARK(idle_after_ping_pong_cpu)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

void condvar_ping_pong(benchmark::State& state) {
  weft::bench::condvar_ping_pong(state);
}
BENCHMARK(condvar_ping_pong)->UseRealTime();

void channel_throughput(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  constexpr int per_producer = 100'000;
  for (auto _ : state) {
    weft::channel<int> ch{1024};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
      threads.emplace_back([&ch] {
        for (int i = 0; i < per_producer; ++i)
          ch.blocking_send(i);
      });
    long received = 0;
    while (received < static_cast<long>(producers) * per_producer) {
      benchmark::DoNotOptimize(ch.blocking_recv());
      ++received;
    }
    for (auto& t : threads)
      t.join();
  }
  state.SetItemsProcessed(state.iterations() * producers * per_producer);
}
BENCHMARK(channel_throughput)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

void mutex_uncontended(benchmark::State& state) {
  weft::mutex m;
  weft::sync_wait([](benchmark::State* s, weft::mutex* mu) -> task<void> {
    for (auto _ : *s) {
      co_await mu->lock();
      mu->unlock();
    }
  }(&state, &m));
}
BENCHMARK(mutex_uncontended);

void std_mutex_uncontended(benchmark::State& state) {
  std::mutex m;
  for (auto _ : state) {
    m.lock();
    benchmark::ClobberMemory();
    m.unlock();
  }
}
BENCHMARK(std_mutex_uncontended);

}  // namespace

int main(int argc, char** argv) {
  // Every benchmark runs in a process that has had a second thread, as any program with a pool
  // has: glibc skips the atomics in its locks until a process first creates a thread, which
  // would flatter whichever single-thread benchmarks (weft's and Asio's) happened to run first.
  std::thread{[] {}}.join();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

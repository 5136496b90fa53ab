// examples/pipeline_tour.cpp — the main demo: one loop thread, a pool, and channels between them.
//
// Run: scripts/demo.sh   (or, once built: build/plain/examples/pipeline_tour)
//
// The shape of a server's back end in one page:
//   * a producer on the loop feeds numbers into a bounded channel (it waits when the workers fall
//     behind: back-pressure);
//   * two workers on the pool take them and factorize them (CPU-bound work, off the loop);
//   * results come back to the loop through a second channel, where a collector sums them up;
//   * meanwhile a heartbeat on the loop keeps ticking — the loop never blocks — and a timeout
//     guards the whole run.
// Closing the first channel ends the workers once it is drained; nothing sent is lost.
#include <weft/channel.hpp>
#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/sleep.hpp>
#include <weft/task_scope.hpp>
#include <weft/thread_pool.hpp>
#include <weft/timeout.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <vector>

using namespace std::chrono_literals;
using weft::task;

struct result {
  std::uint64_t number;
  std::size_t factors;
};

// Deliberately naive trial division: real CPU work.
std::size_t count_prime_factors(std::uint64_t n) {
  std::size_t count = 0;
  for (std::uint64_t d = 2; d * d <= n; ++d)
    while (n % d == 0) {
      n /= d;
      ++count;
    }
  return count + (n > 1 ? 1 : 0);
}

task<void> produce(weft::channel<std::uint64_t>* numbers, int count) {
  for (int i = 0; i < count; ++i)
    co_await numbers->send(1'000'000'007ull * (i + 1) + 12345);
  numbers->close();  // the workers stop once they have taken everything
}

// Runs on the pool: moved there once, then every step stays on a worker.
task<void> worker(weft::thread_pool* pool, weft::channel<std::uint64_t>* numbers,
                  weft::channel<result>* results) {
  co_await pool->schedule();
  while (auto n = co_await numbers->recv())
    co_await results->send(result{*n, count_prime_factors(*n)});
}

task<void> heartbeat(int* beats) {
  while (true) {
    co_await weft::sleep_for(1ms);  // ends with operation_cancelled when the scope stops it
    ++*beats;
  }
}

task<void> tour(weft::thread_pool& pool) {
  constexpr int count = 2000;
  weft::channel<std::uint64_t> numbers{16};
  weft::channel<result> results{16};
  int beats = 0;

  weft::task_scope background{"background"};
  background.spawn(heartbeat(&beats), "heartbeat");

  weft::task_scope pipeline{"pipeline"};
  pipeline.spawn(produce(&numbers, count), "producer");
  for (int i = 0; i < 2; ++i)
    pipeline.spawn(worker(&pool, &numbers, &results), "worker");

  std::size_t received = 0;
  std::size_t factors = 0;
  auto collect = [&]() -> task<void> {  // awaited right here, so capturing by reference is safe
    while (received < count) {
      auto r = co_await results.recv();
      ++received;
      factors += r->factors;
    }
  };
  co_await weft::timeout(collect(), 30s);  // weft::timed_out if the pipeline stalled
  co_await pipeline.join();
  results.close();

  background.request_stop();
  co_await background.join();
  weft::log("heartbeat ticked {} times while the pool worked", beats);
  fmt::print("pipeline: {} numbers factorized on the pool, {} prime factors in all\n", received,
             factors);
}

int main() {
  weft::thread_pool pool;
  weft::run(tour(pool));
}

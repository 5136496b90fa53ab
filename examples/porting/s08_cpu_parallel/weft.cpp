// S8 (seed 001, Effective Python item 53), weft version — `factorize(number)` of four 7-digit
// numbers, once serially, once in parallel.
//
// What changed from threads.cpp, and why:
//  - One std::jthread per number -> one job per number on a weft::thread_pool. CPU work does not
//    belong on the loop: a coroutine that computes for 10 ms holds the loop thread for 10 ms, and
//    every other coroutine waits (the loop logs a "slow step" warning past 100 ms). So the loop
//    coroutine hands each factorize() to the pool with `co_await weft::offload(pool, factorize,
//    n)` and resumes on the loop with the result. `weft::when_all` over the four offloading tasks
//    runs them at once and gives the results back in input order — no result slots, no joins.
//  - The pool has as many workers as cores (options.workers = 0), like the jthreads did; the
//    speed-up is bounded by the cores (this machine may have 2). The serial run is done on main
//    before the loop starts, as the reference.
//  - The printed times and speed-up vary from run to run; only the factors are checked.
//
// Run: ./porting_s08_cpu_parallel_weft

#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <vector>

namespace {

using weft::task;

std::vector<long> factorize(long number) {
  std::vector<long> factors;
  for (long i = 1; i <= number; ++i) {
    if (number % i == 0) factors.push_back(i);
  }
  return factors;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The seed's FactorizeThread, as a task: the pool computes, the loop gets the result.
task<std::vector<long>> factorize_on(weft::thread_pool& pool, long number) {
  co_return co_await weft::offload(pool, factorize, number);
}

task<std::vector<std::vector<long>>> factorize_all(weft::thread_pool& pool,
                                                   std::array<long, 4> numbers) {
  std::vector<task<std::vector<long>>> jobs;
  for (long number : numbers)
    jobs.push_back(factorize_on(pool, number));
  co_return co_await weft::when_all(std::move(jobs));
}

}  // namespace

int main() {
  const std::array<long, 4> numbers{2139079, 1214759, 1516637, 1852285};

  auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<long>> serial;
  for (long number : numbers)
    serial.push_back(factorize(number));
  const double serial_s = seconds_since(start);
  for (std::size_t i = 0; i < numbers.size(); ++i)
    fmt::print("{} ==> [{}]\n", numbers[i], fmt::join(serial[i], ", "));

  weft::thread_pool pool;  // one worker per core
  start = std::chrono::steady_clock::now();
  const std::vector<std::vector<long>> parallel = weft::run(factorize_all(pool, numbers));
  const double parallel_s = seconds_since(start);

  fmt::print("serial:   {:.4f} s\npool:     {:.4f} s ({} workers)\nspeed-up: {:.2f}x\n", serial_s,
             parallel_s, pool.size(), serial_s / parallel_s);

  if (parallel != serial) {
    fmt::print("S08 FAILED (weft): pool factors differ\n");
    return 1;
  }
  fmt::print("S08 done (weft): 4 numbers factorized, pool results match serial\n");
  return 0;
}

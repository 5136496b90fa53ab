// S8 (seed 001, Effective Python item 53) — `factorize(number)` (trial division from 1 to n) of
// 2139079, 1214759, 1516637, 1852285: once serially, once with one `FactorizeThread` per number.
// In CPython the threaded run is *slower* (0.446 s vs 0.256 s): the GIL lets one thread run
// Python code at a time.
//
// What it shows: CPU-bound work needs real parallelism. C++ threads have no GIL: each runs on its
// own core, so the threaded run is faster, up to the number of cores (this machine may have 2).
// Each thread writes only its own result slot, and join() makes those writes visible to main, so
// no lock is needed.
//
// The printed times and speed-up vary from run to run and machine to machine; only the factors
// are checked.
//
// Run: ./porting_s08_cpu_parallel_threads

#include <array>
#include <chrono>
#include <cstddef>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<long> factorize(long number) {
  std::vector<long> factors;
  for (long i = 1; i <= number; ++i) {
    if (number % i == 0) factors.push_back(i);
  }
  return factors;
}

std::string to_list(const std::vector<long>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  const std::array<long, 4> numbers{2139079, 1214759, 1516637, 1852285};

  auto start = std::chrono::steady_clock::now();
  std::vector<std::vector<long>> serial;
  for (long number : numbers)
    serial.push_back(factorize(number));
  const double serial_s = seconds_since(start);
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    std::cout << numbers[i] << " ==> " << to_list(serial[i]) << '\n';
  }

  // The seed's FactorizeThread subclass: a thread plus a place for its result.
  start = std::chrono::steady_clock::now();
  std::vector<std::vector<long>> threaded(numbers.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      threads.emplace_back([&threaded, &numbers, i] { threaded[i] = factorize(numbers[i]); });
    }
  }  // all joined
  const double threaded_s = seconds_since(start);

  std::cout << "serial:   " << serial_s << " s\n"
            << "threads:  " << threaded_s << " s (" << std::thread::hardware_concurrency()
            << " cores)\n"
            << "speed-up: " << serial_s / threaded_s << "x\n";

  if (threaded != serial) {
    std::cout << "S08 FAILED: threaded factors differ\n";
    return 1;
  }
  std::cout << "S08 done: 4 numbers factorized, threaded results match serial\n";
  return 0;
}

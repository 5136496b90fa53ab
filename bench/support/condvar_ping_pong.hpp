// bench/support/condvar_ping_pong.hpp — the baseline hand-off without a runtime: two threads
// passing a token back and forth with std::mutex + std::condition_variable.
#pragma once

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace weft::bench {

/// One benchmark iteration = one round trip (there and back).
inline void condvar_ping_pong(benchmark::State& state) {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t token = 0;  // odd: the echo thread's turn; even: ours
  bool done = false;
  std::thread echo{[&] {
    std::unique_lock lock{mutex};
    while (true) {
      changed.wait(lock, [&] { return done || token % 2 == 1; });
      if (done) return;
      ++token;
      changed.notify_all();
    }
  }};
  for (auto _ : state) {
    std::unique_lock lock{mutex};
    ++token;
    changed.notify_all();
    changed.wait(lock, [&] { return token % 2 == 0; });
  }
  {
    std::lock_guard lock{mutex};
    done = true;
  }
  changed.notify_all();
  echo.join();
}

}  // namespace weft::bench

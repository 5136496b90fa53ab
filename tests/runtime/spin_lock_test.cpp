// Tests of weft/detail/spin_lock.hpp, the lock inside every primitive.
#include <weft/detail/spin_lock.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("a spin lock lets one holder in at a time", "[spin_lock]") {
  weft::detail::spin_lock lock;
  long counter = 0;  // a plain variable: only the lock keeps the increments apart (and TSan checks)
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100'000; ++i) {
        std::lock_guard guard{lock};
        ++counter;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(counter == 400'000);
}

TEST_CASE("try_lock fails while the spin lock is held and succeeds once it is free",
          "[spin_lock]") {
  weft::detail::spin_lock lock;
  REQUIRE(lock.try_lock());
  CHECK_FALSE(lock.try_lock());
  lock.unlock();
  CHECK(lock.try_lock());
  lock.unlock();
}

TEST_CASE("a thread waiting on a spin lock held for a long time gets it when it is released",
          "[spin_lock]") {
  // Past its spinning, a waiter yields its CPU again and again: it must still take the lock.
  weft::detail::spin_lock lock;
  std::atomic<bool> acquired{false};
  lock.lock();
  std::thread waiter{[&] {
    std::lock_guard guard{lock};
    acquired.store(true);
  }};
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(acquired.load());
  lock.unlock();
  waiter.join();
  CHECK(acquired.load());
}

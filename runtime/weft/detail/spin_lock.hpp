// weft/detail/spin_lock.hpp — the lock inside every primitive (channel, event, mutex, ...).
//
// It guards a few dozen instructions at a time — linking or unlinking a waiter, moving a value
// (a channel's T: its move constructor runs under the lock, so keep those cheap) — and is never
// held across a wait, a wake-up or a completion function, so a thread that finds it taken spins
// rather than sleeps. What it buys is the uncontended cost: lock() is one atomic exchange and
// unlock() a plain release store, where std::mutex (glibc, once the process has a second thread)
// pays an atomic read-modify-write both ways. A same-loop channel hand-off takes the lock six times
// per round trip, so those writes are a large share of it.
//
// Contended: test-and-test-and-set, spinning on a read with `pause` so the holder's line is not
// stolen, and yielding the CPU (sched_yield) after a short while, because on a machine with few
// CPUs the holder may have been preempted and can only finish when we give its CPU back.
// Not fair and not recursive; std::lock_guard / std::unique_lock work with it.
#pragma once

#include <atomic>

namespace weft::detail {

class spin_lock {
 public:
  spin_lock() = default;
  spin_lock(const spin_lock&) = delete;
  spin_lock& operator=(const spin_lock&) = delete;

  void lock() noexcept {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    lock_contended();
  }
  [[nodiscard]] bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  void lock_contended() noexcept;

  // true while some thread holds the lock; exchanged to true by lock(), stored false by unlock().
  std::atomic<bool> locked_{false};
};

}  // namespace weft::detail

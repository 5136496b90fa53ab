// weft/semaphore.hpp — a counting semaphore for coroutines (on the loop or the pool) and plain
// threads: N permits, each held by at most one party.
//
// Contract: release() hands permits to waiters in arrival order (FIFO), so a large waiter queue
// cannot be overtaken by later try_acquire() calls. Woken coroutines resume on their own executor.
// A mutex is a semaphore of one permit plus the rule that whoever locks unlocks (weft::mutex).
#pragma once

#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/waker.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <utility>

namespace weft {

class semaphore;

/// Releases one permit when destroyed (what `co_await sem.scoped_acquire()` yields).
class [[nodiscard("the permit is released as soon as it is destroyed")]] semaphore_permit {
 public:
  semaphore_permit() noexcept = default;
  explicit semaphore_permit(semaphore & s) noexcept : semaphore_(&s) {}
  semaphore_permit(semaphore_permit && other) noexcept
      : semaphore_(std::exchange(other.semaphore_, nullptr)) {}
  semaphore_permit& operator=(semaphore_permit&& other) noexcept;
  semaphore_permit(const semaphore_permit&) = delete;
  semaphore_permit& operator=(const semaphore_permit&) = delete;
  ~semaphore_permit() {
    release();
  }
  void release() noexcept;

 private:
  semaphore* semaphore_ = nullptr;
};

class semaphore {
 public:
  explicit semaphore(std::size_t permits) noexcept : permits_(permits) {}
  /// Aborts when a waiter still waits.
  ~semaphore();
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  [[nodiscard]] bool try_acquire() noexcept;
  /// Returns `count` permits, waking as many waiters as they serve. Any thread.
  void release(std::size_t count = 1) noexcept;
  [[nodiscard]] std::size_t available() const noexcept;

  /// `co_await sem.acquire()`
  ///   Yields: nothing; the coroutine holds one permit and must release() it.
  ///   Resumes on: the executor the coroutine was running on (inline if a permit was free).
  ///   Cancellation: a stop request while waiting withdraws the waiter; co_await throws
  ///     operation_cancelled holding no permit.
  class acquire_awaiter {
   public:
    explicit acquire_awaiter(semaphore& s) noexcept : semaphore_(s), waiter_(s.lock_, s.waiters_) {}
    bool await_ready() noexcept { return semaphore_.try_acquire(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);
      std::lock_guard guard{semaphore_.lock_};
      if (waiter_.stopped_early()) return false;
      if (semaphore_.permits_ > 0 && semaphore_.waiters_.empty()) {
        --semaphore_.permits_;
        return false;
      }
      waiter_.link();
      return true;
    }
    void await_resume() { waiter_.finish(); }

   protected:
    semaphore& semaphore_;

   private:
    detail::deferred_waiter waiter_;
  };
  [[nodiscard]] acquire_awaiter acquire() noexcept { return acquire_awaiter{*this}; }

  /// `co_await sem.scoped_acquire()` — as acquire(), yielding a semaphore_permit.
  class scoped_acquire_awaiter : public acquire_awaiter {
   public:
    using acquire_awaiter::acquire_awaiter;
    semaphore_permit await_resume() {
      acquire_awaiter::await_resume();
      return semaphore_permit{semaphore_};
    }
  };
  [[nodiscard]] scoped_acquire_awaiter scoped_acquire() noexcept {
    return scoped_acquire_awaiter{*this};
  }

  /// For plain threads: blocks until a permit is held.
  void blocking_acquire();
  /// For plain threads: blocks until a permit is held or `timeout` passes; true if held.
  [[nodiscard]] bool blocking_try_acquire_for(std::chrono::steady_clock::duration timeout);

 private:
  mutable detail::spin_lock lock_;  // guards permits_ and waiters_
  std::size_t permits_;
  waiter_list waiters_;
};

}  // namespace weft

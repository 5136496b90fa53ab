// weft/mutex.hpp — mutual exclusion for coroutines (on the loop or the pool) and plain threads.
//
// Contract:
//   * Fair: unlock() hands the mutex directly to the longest waiter (FIFO), so no waiter starves
//   and
//     nobody barges in between.
//   * Not recursive. A coroutine that awaits lock() while holding the same mutex waits forever; the
//     fix is to split the function: a public one that locks and a private "_locked" one that
//     expects the lock to be held (see examples/porting/s24_recursive_lock).
//   * Not owned by a thread: a coroutine may lock on one thread and unlock on another (it may move
//     between executors in between). Plain threads use blocking_lock()/unlock().
// Woken coroutines resume on their own executor (weft/waker.hpp), never inside unlock().
#pragma once

#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/waker.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <utility>

namespace weft {

class mutex;

/// Unlocks its mutex when destroyed (what `co_await m.scoped_lock()` yields).
class [[nodiscard("the mutex is unlocked as soon as the guard is destroyed")]] mutex_guard {
 public:
  mutex_guard() noexcept = default;
  explicit mutex_guard(mutex & m) noexcept : mutex_(&m) {}
  mutex_guard(mutex_guard && other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
  mutex_guard& operator=(mutex_guard&& other) noexcept;
  mutex_guard(const mutex_guard&) = delete;
  mutex_guard& operator=(const mutex_guard&) = delete;
  ~mutex_guard();

  /// Unlocks now rather than at destruction.
  void unlock() noexcept;

 private:
  mutex* mutex_ = nullptr;
};

class mutex {
 public:
  mutex() = default;
  /// Aborts when destroyed locked or with waiters.
  ~mutex();
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  /// Takes the mutex if it is free; never waits.
  [[nodiscard]] bool try_lock() noexcept;

  /// Releases the mutex, handing it to the first waiter if there is one. Any thread.
  void unlock() noexcept;

  /// `co_await m.lock()`
  ///   Yields: nothing; the coroutine holds the mutex and must unlock() it.
  ///   Resumes on: the executor the coroutine was running on (inline if the mutex was free).
  ///   Cancellation: a stop request while waiting withdraws the waiter and co_await throws
  ///     operation_cancelled without holding the mutex. Once handed over, the mutex is held.
  class lock_awaiter {
   public:
    explicit lock_awaiter(mutex& m) noexcept : mutex_(m), waiter_(m.lock_, m.waiters_) {}
    bool await_ready() noexcept { return mutex_.try_lock(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);
      std::lock_guard guard{mutex_.lock_};
      if (waiter_.stopped_early()) return false;
      if (mutex_.acquire_or_mark_contended()) return false;
      waiter_.link();
      return true;
    }
    void await_resume() { waiter_.finish(); }

   protected:
    mutex& mutex_;

   private:
    detail::deferred_waiter waiter_;
  };
  [[nodiscard]] lock_awaiter lock() noexcept { return lock_awaiter{*this}; }

  /// `co_await m.scoped_lock()` — as lock(), yielding a mutex_guard that unlocks when destroyed.
  class scoped_lock_awaiter : public lock_awaiter {
   public:
    using lock_awaiter::lock_awaiter;
    mutex_guard await_resume() {
      lock_awaiter::await_resume();
      return mutex_guard{mutex_};
    }
  };
  [[nodiscard]] scoped_lock_awaiter scoped_lock() noexcept { return scoped_lock_awaiter{*this}; }

  /// For plain threads: blocks until the mutex is held.
  void blocking_lock();
  /// For plain threads: blocks until the mutex is held or `timeout` passes; true if held.
  [[nodiscard]] bool blocking_try_lock_for(std::chrono::steady_clock::duration timeout);

 private:
  /// Under lock_: takes the mutex if free (true), else marks it contended (false): the caller
  /// then queues itself, and the holder's unlock() will find it.
  bool acquire_or_mark_contended() noexcept;

  // The state word:
  //   free      — nobody holds it. Set by unlock() (CAS from held, or under lock_ from contended
  //               when no waiter is left).
  //   held      — held, nobody queued: the holder's unlock() is one CAS. Set by try_lock (CAS from
  //               free) and by unlock() under lock_ when it hands over to the last waiter.
  //   contended — held, waiters may be queued: unlock() takes lock_ and hands over (FIFO). Set by
  //               a waiter under lock_ before it queues itself.
  static constexpr std::uint8_t free = 0;
  static constexpr std::uint8_t held = 1;
  static constexpr std::uint8_t contended = 2;
  std::atomic<std::uint8_t> state_{free};
  detail::spin_lock lock_;  // guards waiters_ and the contended transitions
  waiter_list waiters_;
};

}  // namespace weft

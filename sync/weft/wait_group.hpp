// weft/wait_group.hpp — wait until a count of outstanding work drops to zero.
//
// add(n) before starting n pieces of work, done() as each finishes, wait() for all of them: what
// Python's Queue.task_done()/Queue.join() and Go's sync.WaitGroup do. The count may go up again
// after reaching zero (a queue that gets new items); waiters are released each time it is zero.
// Any member from any thread; woken coroutines resume on their own executor.
#pragma once

#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/waker.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <mutex>

namespace weft {

class wait_group {
 public:
  explicit wait_group(std::size_t initial = 0) noexcept : count_(initial) {}
  /// Aborts when a waiter still waits.
  ~wait_group();
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  void add(std::size_t n = 1) noexcept;
  /// One piece of work is finished. Aborts if the count is already zero (more done() than add()).
  void done(std::size_t n = 1) noexcept;
  [[nodiscard]] std::size_t count() const noexcept;
  [[nodiscard]] bool try_wait() const noexcept { return count() == 0; }

  /// `co_await group.wait()`
  ///   Yields: nothing, once the count is zero.
  ///   Resumes on: the executor the coroutine was running on (inline if it already is zero).
  ///   Cancellation: a stop request withdraws the waiter; co_await throws operation_cancelled.
  class wait_awaiter {
   public:
    explicit wait_awaiter(wait_group& g) noexcept : group_(g), waiter_(g.lock_, g.waiters_) {}
    bool await_ready() const noexcept { return group_.try_wait(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);
      std::lock_guard guard{group_.lock_};
      if (waiter_.stopped_early() || group_.count_ == 0) return false;
      waiter_.link();
      return true;
    }
    void await_resume() { waiter_.finish(); }

   private:
    wait_group& group_;
    detail::deferred_waiter waiter_;
  };
  [[nodiscard]] wait_awaiter wait() noexcept { return wait_awaiter{*this}; }

  /// For plain threads: blocks until the count is zero.
  void blocking_wait();
  /// For plain threads: true if the count reached zero within `timeout`.
  [[nodiscard]] bool blocking_wait_for(std::chrono::steady_clock::duration timeout);

 private:
  mutable detail::spin_lock lock_;  // guards count_ and waiters_
  std::size_t count_;
  waiter_list waiters_;
};

/// A single-use countdown: created with a count, counted down, waited for. A wait_group whose
/// count only goes down; the names follow std::latch.
class latch {
 public:
  explicit latch(std::size_t count) noexcept : group_(count) {}
  void count_down(std::size_t n = 1) noexcept { group_.done(n); }
  [[nodiscard]] bool try_wait() const noexcept { return group_.try_wait(); }
  /// `co_await l.wait()`: as wait_group::wait().
  [[nodiscard]] wait_group::wait_awaiter wait() noexcept { return group_.wait(); }
  void blocking_wait() { group_.blocking_wait(); }
  [[nodiscard]] bool blocking_wait_for(std::chrono::steady_clock::duration timeout) {
    return group_.blocking_wait_for(timeout);
  }

 private:
  wait_group group_;
};

}  // namespace weft

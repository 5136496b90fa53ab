// weft/condition_variable.hpp — wait for a condition guarded by a weft::mutex.
//
// Contract: as std::condition_variable_any with weft::mutex. wait(m) must be awaited holding `m`;
// it releases `m` while waiting and holds it again when it returns — also when it throws
// operation_cancelled, so a guard in the caller still owns the lock. Waits may wake spuriously in
// principle: use the predicate form. notify_one/notify_all may be called with or without `m` held,
// from any thread. Woken coroutines resume on their own executor.
#pragma once

#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/mutex.hpp>
#include <weft/task.hpp>
#include <weft/waker.hpp>

#include <chrono>
#include <coroutine>
#include <mutex>
#include <stop_token>

namespace weft {

class condition_variable {
 public:
  condition_variable() = default;
  /// Aborts when a waiter still waits.
  ~condition_variable();
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  void notify_one() noexcept;
  void notify_all() noexcept;

  /// `co_await cv.wait(m)` (holding `m`)
  ///   Yields: nothing, after a notify, holding `m` again.
  ///   Resumes on: the executor the coroutine was running on.
  ///   Cancellation: a stop request ends the wait; `m` is re-acquired (that part cannot be
  ///     cancelled), then operation_cancelled is thrown.
  [[nodiscard]] task<void> wait(mutex& m);

  /// `co_await cv.wait(m, pred)`: waits until `pred()` is true, checking it under `m`.
  template <class Predicate>
  [[nodiscard]] task<void> wait(mutex& m, Predicate pred) {
    while (!pred())
      co_await wait(m);
  }

  /// For plain threads holding `m` (locked with blocking_lock): as wait(m).
  void blocking_wait(mutex& m);
  template <class Predicate>
  void blocking_wait(mutex& m, Predicate pred) {
    while (!pred())
      blocking_wait(m);
  }
  /// For plain threads holding `m`: waits until `pred()` or `timeout`; returns `pred()` (holding
  /// `m` either way).
  template <class Predicate>
  [[nodiscard]] bool blocking_wait_for(mutex& m, std::chrono::steady_clock::duration timeout,
                                       Predicate pred) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred())
      if (!blocking_wait_until(m, deadline)) return pred();
    return true;
  }

 private:
  class unlock_and_wait;
  bool blocking_wait_until(mutex& m, std::chrono::steady_clock::time_point deadline);

  detail::spin_lock lock_;  // guards waiters_
  waiter_list waiters_;
};

}  // namespace weft

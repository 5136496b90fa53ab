// weft/event.hpp — a flag that coroutines (on the loop or the pool) and plain threads wait for.
//
// Manual reset: once set, every waiter is released and later waits pass at once, until reset().
// Auto reset: set() releases exactly one waiter (or, with none waiting, the next wait), and the
// event is unset again.
//
// Threading: every member may be called from any thread. Woken coroutines resume on their own
// executor (weft/waker.hpp), never on the thread that called set().
#pragma once

#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/waker.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <mutex>

namespace weft {

class event {
 public:
  enum class mode { manual_reset, auto_reset };

  explicit event(mode m = mode::manual_reset, bool initially_set = false) noexcept
      : mode_(m), set_(initially_set) {}
  /// Aborts when a waiter is still waiting: it would wait on freed memory.
  ~event();
  event(const event&) = delete;
  event& operator=(const event&) = delete;

  /// Sets the event and wakes the waiters it releases. Any thread.
  void set();
  /// Clears a manual-reset event. Any thread.
  void reset() noexcept;
  [[nodiscard]] bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }

  /// Passes if set (consuming it for an auto-reset event); never waits.
  [[nodiscard]] bool try_wait() noexcept;

  /// `co_await ev.wait()`
  ///   Yields: nothing, once the event is set (an auto-reset event is consumed by this waiter).
  ///   Resumes on: the executor the coroutine was running on (inline if already set).
  ///   Cancellation: a stop request withdraws the waiter and co_await throws operation_cancelled;
  ///     an auto-reset set() is then never consumed by it (it goes to another waiter, or stays
  ///     set).
  class wait_awaiter {
   public:
    explicit wait_awaiter(event& ev) noexcept : event_(ev), waiter_(ev.lock_, ev.waiters_) {}
    bool await_ready() noexcept { return event_.try_wait(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);
      std::lock_guard guard{event_.lock_};
      if (waiter_.stopped_early() || event_.try_wait_locked()) return false;
      waiter_.link();
      return true;
    }
    void await_resume() { waiter_.finish(); }

   private:
    event& event_;
    detail::deferred_waiter waiter_;
  };
  [[nodiscard]] wait_awaiter wait() noexcept { return wait_awaiter{*this}; }

  /// For plain threads: blocks until the event is set.
  void blocking_wait();
  /// For plain threads: blocks until the event is set or `timeout` passes; true if it was set
  /// (and, for an auto-reset event, consumed by this call).
  [[nodiscard]] bool blocking_wait_for(std::chrono::steady_clock::duration timeout);

 private:
  bool try_wait_locked() noexcept;

  const mode mode_;
  std::atomic<bool> set_;  // written under lock_; read without it by is_set() and try_wait()
  mutable detail::spin_lock lock_;
  waiter_list waiters_;
};

}  // namespace weft

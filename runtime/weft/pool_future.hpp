// weft/pool_future.hpp — the result of thread_pool::submit, for plain threads and coroutines alike.
//
// The job and the future share one heap block. The worker stores the result, then publishes it:
// `done_` (a futex word for blocking get()) and `waiter_` (for one co_await-ing coroutine):
//   waiter_ == 0       — nobody awaits yet, result not published;
//   waiter_ == 1       — published (stored by the worker; an awaiter arriving later does not
//   suspend); waiter_ == address — a coroutine awaits; the worker exchanges in 1 and resumes it on
//   its home.
#pragma once

#include <weft/detail/fatal.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/detail/promise_base.hpp>
#include <weft/executor.hpp>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace weft {

namespace detail {

template <class T>
class future_state : public work_item {
 public:
  outcome<T> result;
  std::atomic<std::uint32_t> done{0};
  std::atomic<std::uintptr_t> waiter{0};

  struct awaiting {
    resume_item item;
    executor* home = nullptr;
  };

  /// Worker: the result is stored; wake whoever waits.
  void publish() noexcept {
    done.store(1, std::memory_order_release);
    done.notify_all();
    std::uintptr_t previous = waiter.exchange(1, std::memory_order_acq_rel);
    if (previous > 1) {
      auto* w = reinterpret_cast<awaiting*>(previous);
      resume_on(w->home, w->item);
    }
  }
};

}  // namespace detail

template <class T>
class [[nodiscard(
    "the result (or exception) of submitted work is only seen through its future")]] pool_future {
 public:
  explicit pool_future(std::shared_ptr<detail::future_state<T>> state) noexcept
      : state_(std::move(state)) {}

  [[nodiscard]] bool ready() const noexcept {
    return state_->done.load(std::memory_order_acquire) != 0;
  }

  /// Blocks the calling thread until the work has run (a brief spin, then a futex wait); returns
  /// its value or rethrows its exception. Once per future. Not for loop or pool coroutines: they
  /// co_await the future instead.
  T get() {
    WEFT_CHECK(state_ != nullptr, "pool_future::get on an empty future");
    for (int spin = 0; spin < 2000 && !ready(); ++spin)
      __builtin_ia32_pause();
    while (!ready())
      state_->done.wait(0, std::memory_order_acquire);
    auto state = std::move(state_);
    if constexpr (std::is_void_v<T>)
      (void)state->result.take();
    else
      return state->result.take();
  }

  /// `co_await future`
  ///   Yields: the work's value; rethrows its exception.
  ///   Resumes on: the executor the awaiting coroutine was running on.
  ///   Cancellation: none — the submitted work runs regardless; awaiting only observes it.
  class awaiter {
   public:
    explicit awaiter(std::shared_ptr<detail::future_state<T>> state) : state_(std::move(state)) {}
    bool await_ready() const noexcept { return state_->done.load(std::memory_order_acquire) != 0; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) noexcept {
      waiting_.item.set(waiting);
      waiting_.home = current_executor();
      std::uintptr_t expected = 0;
      return state_->waiter.compare_exchange_strong(
          expected, reinterpret_cast<std::uintptr_t>(&waiting_), std::memory_order_acq_rel);
    }
    T await_resume() {
      if constexpr (std::is_void_v<T>)
        (void)state_->result.take();
      else
        return state_->result.take();
    }

   private:
    std::shared_ptr<detail::future_state<T>> state_;
    typename detail::future_state<T>::awaiting waiting_;
  };
  awaiter operator co_await()&& {
    WEFT_CHECK(state_ != nullptr, "co_await on an empty pool_future");
    return awaiter{std::move(state_)};
  }

 private:
  std::shared_ptr<detail::future_state<T>> state_;
};

}  // namespace weft

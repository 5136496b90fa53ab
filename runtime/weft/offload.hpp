// weft/offload.hpp — run a function on the pool and await its result where you are.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/detail/promise_base.hpp>
#include <weft/executor.hpp>
#include <weft/thread_pool.hpp>

#include <atomic>
#include <coroutine>
#include <functional>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>

namespace weft {

/// The awaitable of offload().
///   Yields: what `fn(args...)` returns; rethrows what it throws. Throws pool_stopped if the pool
///     takes no more work.
///   Resumes on: the executor the awaiting coroutine was running on (the loop for a loop
///     coroutine), never on the pool unless the awaiter was already there.
///   Cancellation: if `fn` has not started, a stop request withdraws it from the pool and
///     co_await throws operation_cancelled at once. If `fn` has started, it runs to completion (a
///     running function is never interrupted), its result is dropped, and co_await then throws
///     operation_cancelled.
/// `fn` and `args` are stored by value in the awaiting coroutine's frame, which lives until the
/// function has finished.
template <class F, class... Args>
class [[nodiscard]] offload_awaiter : private work_item {
  using result_type = std::invoke_result_t<F&, Args&...>;

 public:
  offload_awaiter(thread_pool& pool, F fn, Args... args)
      : pool_(pool), fn_(std::move(fn)), args_(std::move(args)...) {
    run = [](work_item* self) noexcept { static_cast<offload_awaiter*>(self)->execute(); };
  }
  offload_awaiter(const offload_awaiter&) = delete;
  offload_awaiter& operator=(const offload_awaiter&) = delete;

  bool await_ready() const noexcept { return false; }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    home_ = current_executor();
    resume_.set(waiting);
    task_name = resume_.task_name;
    const std::stop_token& token = detail::stop_token_of(waiting);
    if (token.stop_possible()) callback_.emplace(token, on_stop{this});
    phase expected = phase::registering;
    if (!phase_.compare_exchange_strong(expected, phase::submitted, std::memory_order_acq_rel))
      return false;  // stopped while registering: never submitted
    if (!pool_.submit_item(this)) {
      rejected_ = true;
      return false;
    }
    return true;
  }

  result_type await_resume() {
    callback_.reset();  // waits for a stop callback still running on another thread
    if (rejected_) throw pool_stopped{std::string(pool_.name())};
    if (phase_.load(std::memory_order_acquire) == phase::cancelled) throw operation_cancelled{};
    if (stop_seen_) throw operation_cancelled{};  // it ran, but its result is dropped
    if constexpr (std::is_void_v<result_type>)
      (void)result_.take();
    else
      return result_.take();
  }

 private:
  // registering → submitted (await_suspend, after the stop callback is in place)
  // registering → cancelled (the stop callback, before submission: nothing to withdraw)
  // submitted   → cancelled (the stop callback, after withdrawing the item from the pool)
  enum class phase : unsigned char { registering, submitted, cancelled };

  struct on_stop {
    offload_awaiter* self;
    void operator()() const noexcept { self->stop_requested(); }
  };

  void stop_requested() noexcept {
    stop_seen_ = true;
    phase expected = phase::registering;
    if (phase_.compare_exchange_strong(expected, phase::cancelled, std::memory_order_acq_rel))
      return;
    if (pool_.withdraw(this)) {
      phase_.store(phase::cancelled, std::memory_order_release);
      resume_on(home_, resume_);
    }
  }

  void execute() noexcept {
    try {
      if constexpr (std::is_void_v<result_type>) {
        std::apply(fn_, args_);
        result_.set_value({});
      } else {
        result_.set_value(std::apply(fn_, args_));
      }
    } catch (...) {
      result_.set_exception(std::current_exception());
    }
    resume_on(home_, resume_);
  }

  thread_pool& pool_;
  F fn_;
  std::tuple<Args...> args_;
  detail::outcome<result_type> result_;
  executor* home_ = nullptr;
  resume_item resume_;
  std::atomic<phase> phase_{phase::registering};
  std::atomic<bool> stop_seen_{false};
  bool rejected_ = false;
  std::optional<std::stop_callback<on_stop>> callback_;
};

/// `co_await offload(pool, fn, args...)`: runs `fn(args...)` on `pool` (see offload_awaiter).
template <class F, class... Args>
[[nodiscard]] offload_awaiter<std::decay_t<F>, std::decay_t<Args>...> offload(thread_pool& pool,
                                                                              F&& fn,
                                                                              Args&&... args) {
  return {pool, std::forward<F>(fn), std::forward<Args>(args)...};
}

}  // namespace weft

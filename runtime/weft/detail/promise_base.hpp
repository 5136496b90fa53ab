// weft/detail/promise_base.hpp — what every weft coroutine carries: its stop token and its
// continuation.
//
// Stop tokens flow downwards: a task awaited by another weft coroutine inherits the awaiter's token
// unless one was bound to it explicitly (`with_stop_token`). Awaitables read the token of the
// coroutine that awaits them through `stop_token_of(handle)`, so cancellation reaches every
// operation without being passed by hand.
//
// Continuations are sticky: when a task finishes on another executor than the one its awaiter was
// suspended on, the awaiter is enqueued back on its own executor instead of being resumed inline.
#pragma once

#include <weft/executor.hpp>

#include <concepts>
#include <coroutine>
#include <stop_token>

namespace weft::detail {

class promise_base {
 public:
  [[nodiscard]] const std::stop_token& stop_token() const noexcept { return stop_token_; }

  /// Fixes the token; later inheritance from an awaiter no longer replaces it.
  void bind_stop_token(std::stop_token token) noexcept {
    stop_token_ = std::move(token);
    token_bound_ = true;
  }

  /// Takes the awaiter's token unless one was bound.
  void inherit_stop_token(const std::stop_token& token) noexcept {
    if (!token_bound_) stop_token_ = token;
  }

  /// The name of the root task this coroutine runs under, or nullptr.
  [[nodiscard]] const char* task_name() const noexcept { return task_name_; }
  void set_task_name(const char* name) noexcept { task_name_ = name; }

  /// Records who resumes when this coroutine completes, and on which executor.
  void set_continuation(std::coroutine_handle<> continuation, executor* home) noexcept {
    continuation_ = continuation;
    continuation_home_ = home;
  }

  /// Called from final_suspend: the coroutine to transfer to (possibly noop) after arranging for
  /// the continuation to run on its home executor.
  [[nodiscard]] std::coroutine_handle<> take_continuation() noexcept {
    executor* home = continuation_home_;
    if (home == nullptr || home == current_executor()) return continuation_;
    resume_node_.handle = continuation_;
    resume_node_.task_name = task_name_;
    home->enqueue(&resume_node_);  // the awaiter may destroy this frame from now on
    return std::noop_coroutine();
  }

 private:
  std::stop_token stop_token_;
  std::coroutine_handle<> continuation_;
  executor* continuation_home_ = nullptr;
  resume_item resume_node_;
  const char* task_name_ = nullptr;
  bool token_bound_ = false;
};

inline const char* task_name_of_promise(const promise_base& promise) noexcept {
  return promise.task_name();
}

/// The task name of the coroutine behind `handle`, or nullptr for a foreign coroutine.
template <class Promise>
[[nodiscard]] const char* task_name_of(std::coroutine_handle<Promise> handle) noexcept {
  if constexpr (std::derived_from<Promise, promise_base>)
    return handle.promise().task_name();
  else
    return nullptr;
}

/// The stop token of the coroutine behind `handle`, or an empty token for a foreign coroutine.
template <class Promise>
[[nodiscard]] std::stop_token stop_token_of(std::coroutine_handle<Promise> handle) noexcept {
  if constexpr (std::derived_from<Promise, promise_base>)
    return handle.promise().stop_token();
  else
    return {};
}

}  // namespace weft::detail

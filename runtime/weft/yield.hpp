// weft/yield.hpp — let the other coroutines of this executor run.
#pragma once

#include <weft/executor.hpp>

#include <coroutine>

namespace weft {

/// `co_await yield()`
///   Yields: nothing.
///   Resumes on: the same executor, after the work already queued there (FIFO). On a plain thread
///     with no executor it does not suspend.
///   Cancellation: none; it always resumes promptly.
[[nodiscard]] inline auto yield() noexcept {
  struct awaiter {
    resume_item item;
    executor* home = current_executor();
    bool await_ready() const noexcept { return home == nullptr; }
    void await_suspend(std::coroutine_handle<> waiting) noexcept {
      item.handle = waiting;
      home->enqueue(&item);
    }
    void await_resume() const noexcept {}
  };
  return awaiter{};
}

}  // namespace weft

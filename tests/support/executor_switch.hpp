// tests/support/executor_switch.hpp — move the awaiting coroutine onto another executor.
#pragma once

#include <weft/executor.hpp>

#include <coroutine>

namespace weft::test {

/// `co_await switch_to(ex)` resumes the coroutine on `ex` (enqueued there).
inline auto switch_to(executor& target) noexcept {
  struct awaiter {
    executor& target;
    resume_item item;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) noexcept {
      item.handle = waiting;
      target.enqueue(&item);
    }
    void await_resume() const noexcept {}
  };
  return awaiter{target, {}};
}

}  // namespace weft::test

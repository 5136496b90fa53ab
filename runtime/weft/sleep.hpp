// weft/sleep.hpp — suspend a loop coroutine until a point in time.
#pragma once

#include <weft/detail/loop_wait.hpp>
#include <weft/detail/timer_heap.hpp>
#include <weft/io_loop.hpp>

#include <chrono>
#include <coroutine>

namespace weft {

/// The awaitable of sleep_until() and sleep_for().
///   Yields: nothing, once the loop's clock has reached the deadline.
///   Resumes on: the loop thread.
///   Cancellation: a stop request ends the sleep at once with operation_cancelled (unless the
///     deadline was reached first, in which case it returns normally).
/// Must be awaited on a loop thread (aborts otherwise). Costs no SQE: the loop keeps timers in a
/// heap and the kernel sees only the nearest deadline.
class [[nodiscard]] sleep_awaiter final : private detail::loop_wait, private detail::timer_node {
 public:
  explicit sleep_awaiter(io_loop::clock::time_point deadline) noexcept {
    this->deadline = deadline;
    fire = [](timer_node* self) noexcept { static_cast<sleep_awaiter*>(self)->complete(0); };
  }
  ~sleep_awaiter() {
    if (queued()) loop().remove_timer(this);  // a frame destroyed while sleeping
  }

  bool await_ready() const noexcept { return false; }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    io_loop* loop = current_loop_or_abort();
    if (detail::stop_token_of(waiting).stop_requested()) {
      stopped_before_start_ = true;
      return false;
    }
    loop->add_timer(this);
    arm(*loop, waiting);
    return true;
  }

  void await_resume();

 private:
  static io_loop* current_loop_or_abort();
  void finish_early() noexcept override;

  bool stopped_before_start_ = false;
};

/// `co_await sleep_until(deadline)` on the loop's clock (see sleep_awaiter).
[[nodiscard]] inline sleep_awaiter sleep_until(io_loop::clock::time_point deadline) noexcept {
  return sleep_awaiter{deadline};
}

/// `co_await sleep_for(duration)`: sleeps until the loop's now() + duration (see sleep_awaiter).
[[nodiscard]] sleep_awaiter sleep_for(io_loop::clock::duration duration);

}  // namespace weft

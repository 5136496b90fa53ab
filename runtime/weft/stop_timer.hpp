// weft/stop_timer.hpp — request stop on a stop_source at a deadline: the clock behind every
// timeout in weft.
//
// On a loop thread the timer lives in that loop's timer heap and runs on the loop's clock (manual
// in tests). Anywhere else — a pool worker, a sync_wait thread — it is kept by one background
// thread ("weft-timers", created on first use, stopped at exit), whose stop request then reaches
// the waiting coroutine through its stop callback, which enqueues it on its own executor.
#pragma once

#include <weft/detail/timer_heap.hpp>
#include <weft/io_loop.hpp>

#include <atomic>
#include <chrono>
#include <stop_token>

namespace weft {

class stop_timer : private detail::timer_node {
 public:
  using clock = std::chrono::steady_clock;

  /// Arms the timer: at `deadline` (the loop's clock on a loop thread), stop is requested on
  /// `source`, which must outlive the timer.
  stop_timer(std::stop_source& source, clock::time_point deadline);
  /// Disarms it; once this returns, the timer no longer touches `source`.
  ~stop_timer();
  stop_timer(const stop_timer&) = delete;
  stop_timer& operator=(const stop_timer&) = delete;

  /// Whether the deadline passed and stop was requested by this timer.
  [[nodiscard]] bool fired() const noexcept { return fired_.load(std::memory_order_acquire); }

  /// The current time on the clock a stop_timer created here would use.
  [[nodiscard]] static clock::time_point now() noexcept;

 private:
  static void on_fire(timer_node* self) noexcept;

  std::stop_source& source_;
  io_loop* loop_;  // the loop whose heap holds the timer, or nullptr for the background thread
  std::atomic<bool> fired_{false};
};

}  // namespace weft

// weft/timeout.hpp — give any task a deadline.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/timer_heap.hpp>
#include <weft/io_loop.hpp>
#include <weft/task.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <stop_token>
#include <system_error>
#include <type_traits>
#include <utility>

namespace weft {

/// Thrown by timeout() when the deadline passed before the operation finished. A std::system_error
/// with std::errc::timed_out, so that handlers of I/O errors see it as the failure it is (unlike
/// operation_cancelled, which is a request being honoured).
class timed_out : public std::system_error {
 public:
  timed_out() : std::system_error(std::make_error_code(std::errc::timed_out), "weft::timeout") {}
};

namespace detail {

/// A timer on the loop that requests stop on a source when it fires. Loop thread only; removes
/// itself from the loop when destroyed before firing.
class stop_at_deadline final : private timer_node {
 public:
  stop_at_deadline(io_loop& loop, io_loop::clock::time_point when, std::stop_source* target)
      : loop_(loop), target_(target) {
    deadline = when;
    fire = [](timer_node* self) noexcept {
      auto* me = static_cast<stop_at_deadline*>(self);
      me->fired_ = true;
      me->target_->request_stop();
    };
    loop_.add_timer(this);
  }
  ~stop_at_deadline() { loop_.remove_timer(this); }
  stop_at_deadline(const stop_at_deadline&) = delete;
  stop_at_deadline& operator=(const stop_at_deadline&) = delete;

  [[nodiscard]] bool fired() const noexcept { return fired_; }

 private:
  io_loop& loop_;
  std::stop_source* target_;
  bool fired_ = false;
};

struct forward_stop_to {
  std::stop_source* target;
  void operator()() const noexcept { target->request_stop(); }
};

}  // namespace detail

/// `co_await timeout(std::move(t), 50ms)`
///   Yields: what `t` yields, if it finishes before the deadline (on the loop's clock). If the
///     deadline passes first, stop is requested on `t`; once `t` has finished — its operations'
///     CQEs have all arrived — co_await throws timed_out. If `t` still produced a value (its
///     operation completed before the cancel took effect), that value is returned: nothing is lost.
///   Resumes on: the loop thread.
///   Cancellation: a stop request on the awaiter is forwarded to `t`, and ends with
///     operation_cancelled as usual (not timed_out).
/// Must be awaited on a loop thread. To time out an awaitable, wrap it in a task.
template <class T>
task<T> timeout(task<T> t, io_loop::clock::duration limit) {
  io_loop* loop = io_loop::current();
  WEFT_CHECK(loop != nullptr, "weft::timeout awaited outside a loop thread");
  std::stop_token outer = co_await get_stop_token();
  std::stop_source inner;
  std::optional<std::stop_callback<detail::forward_stop_to>> link;
  if (outer.stop_possible()) link.emplace(outer, detail::forward_stop_to{&inner});
  detail::stop_at_deadline timer{*loop, loop->now() + limit, &inner};
  try {
    co_return co_await with_stop_token(std::move(t), inner.get_token());
  } catch (const operation_cancelled&) {
    if (timer.fired() && !outer.stop_requested()) throw timed_out{};
    throw;
  }
}

}  // namespace weft

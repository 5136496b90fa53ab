// weft/timeout.hpp — give any task a deadline.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/stop_timer.hpp>
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

struct forward_stop_to {
  std::stop_source* target;
  void operator()() const noexcept { target->request_stop(); }
};

}  // namespace detail

/// `co_await timeout(std::move(t), 50ms)`
///   Yields: what `t` yields, if it finishes before the deadline. If the deadline passes first,
///   stop
///     is requested on `t`; once `t` has finished — its operations' CQEs have all arrived —
///     co_await throws timed_out. If `t` still produced a value (its operation completed before the
///     cancel took effect), that value is returned: nothing is lost.
///   Resumes on: the executor the awaiter was running on.
///   Cancellation: a stop request on the awaiter is forwarded to `t`, and ends with
///     operation_cancelled as usual (not timed_out).
/// The deadline is on the loop's clock on a loop thread (manual in tests), steady_clock elsewhere
/// (see stop_timer).
template <class T>
task<T> timeout(task<T> t, std::chrono::steady_clock::duration limit) {
  std::stop_token outer = co_await get_stop_token();
  std::stop_source inner;
  std::optional<std::stop_callback<detail::forward_stop_to>> link;
  if (outer.stop_possible()) link.emplace(outer, detail::forward_stop_to{&inner});
  stop_timer timer{inner, stop_timer::now() + limit};
  try {
    co_return co_await with_stop_token(std::move(t), inner.get_token());
  } catch (const operation_cancelled&) {
    if (timer.fired() && !outer.stop_requested()) throw timed_out{};
    throw;
  }
}

/// `co_await timeout([&] { return incoming.next(); }, 1s)`: timeout() for any awaitable, made by
/// `make` inside the timed task (awaiters cannot always be moved, so they are made where they are
/// awaited). `make` may capture by reference: the timed task never outlives the co_await.
template <class Make>
requires std::invocable<Make&>
auto timeout(Make make, std::chrono::steady_clock::duration limit) {
  using result = decltype(std::declval<std::invoke_result_t<Make&>>().await_resume());
  return timeout([](Make m) -> task<result> { co_return co_await m(); }(std::move(make)), limit);
}

/// `co_await within(std::move(t), 1s)`: as timeout(), but says whether `t` finished in time
/// instead of throwing timed_out.
///   Yields: for task<void>, true if it finished in time and false if the deadline passed first;
///     otherwise std::optional holding the value, empty if the deadline passed first.
///   Resumes on / Cancellation: as timeout().
template <class T>
auto within(task<T> t, std::chrono::steady_clock::duration limit)
    -> task<std::conditional_t<std::is_void_v<T>, bool, std::optional<stored_result_t<T>>>> {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await timeout(std::move(t), limit);
      co_return true;
    } else {
      co_return co_await timeout(std::move(t), limit);
    }
  } catch (const timed_out&) {
    if constexpr (std::is_void_v<T>)
      co_return false;
    else
      co_return std::nullopt;
  }
}

/// `co_await within([&] { return ev.wait(); }, 1s)`: the same for any awaitable, made by `make`
/// inside the timed task (awaiters of primitives cannot be moved, so they are made where they
/// are awaited). `make` may capture by reference: the timed task never outlives the co_await.
template <class Make>
requires std::invocable<Make&>
auto within(Make make, std::chrono::steady_clock::duration limit) {
  using result = decltype(std::declval<std::invoke_result_t<Make&>>().await_resume());
  return within([](Make m) -> task<result> { co_return co_await m(); }(std::move(make)), limit);
}

}  // namespace weft

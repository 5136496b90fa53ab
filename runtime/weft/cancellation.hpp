// weft/cancellation.hpp — how stop requests reach coroutines, and how a cancelled operation ends.
//
// The model, the same across weft:
//   * Every weft coroutine carries a std::stop_token. A task inherits the token of the coroutine
//   that
//     awaits it; when_all, when_any and task_scope give their children a token of their own, linked
//     to the awaiter's. `with_stop_token(task, token)` binds one explicitly (e.g. for sync_wait).
//   * A stop request is a request: each awaitable documents what it does with it. Operations that
//   can
//     be interrupted (sleeps, waits on primitives, I/O) end promptly by throwing
//     weft::operation_cancelled; computation in progress is never interrupted.
//   * Errors are exceptions. Outcomes that are not errors (a try_lock that failed, a wait_for that
//     timed out, a closed channel) are return values.
#pragma once

#include <weft/detail/promise_base.hpp>
#include <weft/executor.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace weft {

/// Thrown by an operation that ended because a stop was requested before it could complete.
/// Deliberately not derived from std::system_error or std::runtime_error, so that handlers for I/O
/// failures do not swallow cancellation by accident (as asyncio's CancelledError is not an
/// Exception).
class operation_cancelled : public std::exception {
 public:
  [[nodiscard]] const char* what() const noexcept override { return "operation cancelled"; }
};

namespace detail {

struct stop_token_reader {
  std::stop_token token;
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) noexcept {
    token = stop_token_of(waiting);
    return false;
  }
  std::stop_token await_resume() noexcept { return std::move(token); }
};

struct cancellation_checker {
  bool stopped = false;
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) noexcept {
    stopped = stop_token_of(waiting).stop_requested();
    return false;
  }
  void await_resume() const {
    if (stopped) throw operation_cancelled{};
  }
};

}  // namespace detail

/// `co_await get_stop_token()`
///   Yields: the stop token of the awaiting coroutine (empty outside weft coroutines).
///   Resumes on: does not suspend.
///   Cancellation: none; reading the token is always allowed.
[[nodiscard]] inline detail::stop_token_reader get_stop_token() noexcept {
  return {};
}

/// `co_await cancellation_point()`
///   Yields: nothing; throws operation_cancelled if a stop was requested on the awaiting coroutine.
///   Resumes on: does not suspend.
///   Cancellation: that is its purpose — a place where long computations can notice a stop request.
[[nodiscard]] inline detail::cancellation_checker cancellation_point() noexcept {
  return {};
}

/// `co_await suspend_until_cancelled()`
///   Yields: never returns normally; throws operation_cancelled once a stop is requested.
///   Resumes on: the executor the awaiter was running on when it suspended.
///   Cancellation: the only way out. Awaiting it from a coroutine whose token can never be stopped
///     would hang forever, so that aborts with a message.
/// Useful for a task that only holds something open until its scope is cancelled.
class [[nodiscard]] suspend_until_cancelled {
 public:
  suspend_until_cancelled() = default;
  suspend_until_cancelled(const suspend_until_cancelled&) = delete;
  suspend_until_cancelled& operator=(const suspend_until_cancelled&) = delete;

  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    return suspend(detail::stop_token_of(waiting), waiting);
  }
  [[noreturn]] void await_resume();

 private:
  bool suspend(std::stop_token token, std::coroutine_handle<> waiting);
  void on_stop() noexcept;

  struct on_stop_fn {
    suspend_until_cancelled* self;
    void operator()() const noexcept { self->on_stop(); }
  };

  // registering → suspended (by await_suspend, after the callback is in place)
  // registering → stopped   (by the callback firing inside await_suspend: do not suspend)
  // suspended   → stopped   (by the callback: it resumes the coroutine)
  enum class state : unsigned char { registering, suspended, stopped };
  std::atomic<state> state_{state::registering};
  resume_item resume_;
  executor* home_ = nullptr;
  std::optional<std::stop_callback<on_stop_fn>> callback_;
};

namespace detail {

template <class Awaitable>
concept has_member_co_await = requires(Awaitable&& a) {
  std::move(a).operator co_await();
};

/// The awaiter of `awaitable` (by value), or `awaitable` itself (by reference).
template <class Awaitable>
decltype(auto) shield_target(Awaitable& awaitable) {
  if constexpr (has_member_co_await<Awaitable>)
    return std::move(awaitable).operator co_await();
  else
    return (awaitable);
}

/// The awaiter of weft::shielded. It holds the awaiter: the one `operator co_await` made (a
/// task's), or else a reference to the awaitable itself, a temporary of the co_await expression
/// that lives until that expression ends.
template <class Awaitable>
class [[nodiscard]] shield_awaiter {
  using awaiter_type = decltype(shield_target(std::declval<Awaitable&>()));

 public:
  explicit shield_awaiter(Awaitable& awaitable) : awaiter_(shield_target(awaitable)) {}
  shield_awaiter(const shield_awaiter&) = delete;
  shield_awaiter& operator=(const shield_awaiter&) = delete;

  bool await_ready() { return awaiter_.await_ready(); }

  template <class Promise>
  auto await_suspend(std::coroutine_handle<Promise> waiting) {
    if constexpr (std::derived_from<Promise, promise_base>) {
      shielded_ = &waiting.promise();
      was_shielded_ = shielded_->set_shielded(true);
    }
    try {
      return awaiter_.await_suspend(waiting);
    } catch (...) {
      end_shield();
      throw;
    }
  }

  decltype(auto) await_resume() {
    end_shield();
    return awaiter_.await_resume();
  }

 private:
  void end_shield() noexcept {
    if (shielded_ != nullptr) std::exchange(shielded_, nullptr)->set_shielded(was_shielded_);
  }

  awaiter_type awaiter_;
  promise_base* shielded_ = nullptr;
  bool was_shielded_ = false;
};

/// What weft::shielded returns: awaitable only as an rvalue, so it is awaited in the expression
/// that made it, while the awaitable it refers to still lives (`auto s = shielded(x); co_await s;`
/// does not compile).
template <class Awaitable>
class [[nodiscard]] shield_request {
 public:
  explicit shield_request(Awaitable& awaitable) noexcept : awaitable_(awaitable) {}
  shield_request(const shield_request&) = delete;
  shield_request& operator=(const shield_request&) = delete;

  shield_awaiter<Awaitable> operator co_await() && { return shield_awaiter<Awaitable>{awaitable_}; }

 private:
  Awaitable& awaitable_;
};

}  // namespace detail

/// `co_await shielded(awaitable)`
///   Yields: what `co_await awaitable` yields.
///   Resumes on: where `awaitable` resumes.
///   Cancellation: none. While it runs, the awaiting coroutine's stop token reads as empty, so the
///     wait, and every task it starts, goes on to the end whatever stop is requested; a stop
///     requested meanwhile is seen by the coroutine's next cancellable wait. For the last writes of
///     an answer that must go out even when the server is stopping. Costs no allocation (unlike
///     `with_stop_token(task, {})`, which needs a task).
/// Use it inside the co_await expression (`co_await shielded(s.write_all(data))`): it refers to
/// the awaitable given, which lives only as long as that expression, and it can only be awaited
/// as an rvalue.
template <class Awaitable>
[[nodiscard]] detail::shield_request<Awaitable> shielded(Awaitable&& awaitable) {
  static_assert(!std::is_lvalue_reference_v<Awaitable>,
                "weft::shielded takes a temporary awaitable (or std::move one)");
  return detail::shield_request<Awaitable>{awaitable};
}

}  // namespace weft

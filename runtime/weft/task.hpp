// weft/task.hpp — the lazy, move-only coroutine type everything in weft is written with.
//
// A task<T> does nothing until it is awaited (or handed to sync_wait, when_all, a task_scope, ...).
// Awaiting it starts it on the awaiting thread; when it finishes, its awaiter resumes through
// symmetric transfer, so chains of any depth run in constant stack. Exceptions thrown by the task
// are rethrown from the awaiter's `co_await`.
//
// Thread-safety: a task object is used by one thread at a time; the coroutine it owns may move
// between executors while it runs (e.g. `co_await pool.schedule()`), and its awaiter is resumed on
// the executor it was suspended on (see detail/promise_base.hpp).
#pragma once

#include <weft/detail/fatal.hpp>
#include <weft/detail/promise_base.hpp>

#include <coroutine>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft {

template <class T = void>
class task;

namespace detail {

struct task_final_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
    return self.promise().take_continuation();
  }
  void await_resume() const noexcept {}
};

class task_promise_common : public promise_base {
 public:
  std::suspend_always initial_suspend() const noexcept { return {}; }
  task_final_awaiter final_suspend() const noexcept { return {}; }
};

template <class T>
class task_promise final : public task_promise_common {
 public:
  task<T> get_return_object() noexcept;

  template <class U>
  requires std::convertible_to<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    result_.template emplace<1>(std::forward<U>(value));
  }
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  T take_result() {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    return std::move(std::get<1>(result_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <class T>
class task_promise<T&> final : public task_promise_common {
 public:
  task<T&> get_return_object() noexcept;

  void return_value(T& value) noexcept { value_ = std::addressof(value); }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  T& take_result() {
    if (exception_) std::rethrow_exception(exception_);
    return *value_;
  }

 private:
  T* value_ = nullptr;
  std::exception_ptr exception_;
};

template <>
class task_promise<void> final : public task_promise_common {
 public:
  task<void> get_return_object() noexcept;

  void return_void() const noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  void take_result() {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::exception_ptr exception_;
};

}  // namespace detail

/// A lazily started coroutine producing a T (or T&, or nothing).
///
/// `co_await std::move(t)`
///   Yields: the value the task returned; rethrows the exception it ended with.
///   Resumes on: the executor the awaiter was running on when it suspended (inline when the task
///     finishes there, enqueued back otherwise).
///   Cancellation: the task inherits the awaiter's stop token (unless `with_stop_token` bound one);
///     what a stop request does is up to the operations the task awaits — each documents it.
///
/// A task can be awaited once: it is consumed by the `co_await` (only rvalues can be awaited), and
/// awaiting an empty or already-consumed task aborts with a message.
template <class T>
class [[nodiscard("a task does nothing until it is awaited or spawned")]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task() noexcept = default;
  task(task && other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    destroy();
  }

  /// True while the task owns a coroutine that has not been awaited or handed on.
  [[nodiscard]] bool valid() const noexcept {
    return static_cast<bool>(handle_);
  }

  class awaiter {
   public:
    explicit awaiter(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
    awaiter(awaiter&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    awaiter(const awaiter&) = delete;
    awaiter& operator=(const awaiter&) = delete;
    awaiter& operator=(awaiter&&) = delete;
    ~awaiter() {
      if (handle_) handle_.destroy();
    }

    bool await_ready() const noexcept { return false; }

    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> awaiting) noexcept {
      promise_type& promise = handle_.promise();
      promise.inherit_stop_token(detail::stop_token_of(awaiting));
      promise.set_task_name(detail::task_name_of(awaiting));
      promise.set_continuation(awaiting, current_executor());
      return handle_;
    }

    decltype(auto) await_resume() { return handle_.promise().take_result(); }

   private:
    std::coroutine_handle<promise_type> handle_;
  };

  awaiter operator co_await()&& {
    WEFT_CHECK(handle_, "co_await on an empty task<{}>: it was moved from or already awaited", "T");
    return awaiter{std::exchange(handle_, {})};
  }

  /// Hands the coroutine over to a runner (sync_wait, when_all, task_scope...). Internal plumbing.
  [[nodiscard]] std::coroutine_handle<promise_type> release() noexcept {
    return std::exchange(handle_, {});
  }

  /// Binds `token` as this task's stop token: it is no longer inherited from the awaiter.
  task& bind_stop_token(std::stop_token token)& noexcept {
    WEFT_CHECK(handle_, "bind_stop_token on an empty task");
    handle_.promise().bind_stop_token(std::move(token));
    return *this;
  }

 private:
  friend promise_type;
  explicit task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

  void destroy() noexcept {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  std::coroutine_handle<promise_type> handle_;
};

/// Returns `t` with `token` as its stop token, whatever its awaiter's token will be.
template <class T>
[[nodiscard]] task<T> with_stop_token(task<T> t, std::stop_token token) {
  t.bind_stop_token(std::move(token));
  return t;
}

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
template <class T>
task<T&> task_promise<T&>::get_return_object() noexcept {
  return task<T&>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise>::from_promise(*this)};
}
}  // namespace detail

}  // namespace weft

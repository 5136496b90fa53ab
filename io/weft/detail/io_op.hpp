// weft/detail/io_op.hpp — an io_uring operation whose failure throws an error naming its target.
#pragma once

#include <weft/io_error.hpp>
#include <weft/uring_op.hpp>

#include <cstddef>
#include <utility>

namespace weft::detail {

/// uring_op() whose co_await yields the non-negative result as a `Result` and throws
/// std::system_error("<describe()>: <strerror>") for a negative one. `describe` builds the text
/// only when there is an error to report. Resumes on the loop thread; cancellation as uring_op.
template <class Result, class Prepare, class Describe>
class [[nodiscard]] io_op_awaiter {
 public:
  io_op_awaiter(Prepare prepare, Describe describe)
      : op_(std::move(prepare)), describe_(std::move(describe)) {}

  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    return op_.await_suspend(waiting);
  }
  /// See uring_op_awaiter::await_suspend_then.
  template <class Promise>
  bool await_suspend_then(std::coroutine_handle<Promise> waiting, work_item* then) {
    return op_.await_suspend_then(waiting, then);
  }
  Result await_resume() {
    int result = op_.await_resume();
    if (result < 0) [[unlikely]]
      throw_errno(-result, describe_());
    return static_cast<Result>(result);
  }

 private:
  uring_op_awaiter<Prepare> op_;
  Describe describe_;
};

template <class Result = int, class Prepare, class Describe>
[[nodiscard]] io_op_awaiter<Result, Prepare, Describe> io_op(Prepare prepare, Describe describe) {
  return {std::move(prepare), std::move(describe)};
}

/// A byte count from a read/write/send/recv CQE.
template <class Prepare, class Describe>
[[nodiscard]] io_op_awaiter<std::size_t, Prepare, Describe> transfer_op(Prepare prepare,
                                                                        Describe describe) {
  return {std::move(prepare), std::move(describe)};
}

}  // namespace weft::detail

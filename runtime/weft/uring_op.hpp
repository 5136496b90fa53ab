// weft/uring_op.hpp — one io_uring operation as an awaitable: the building block of io/.
//
// `co_await weft::uring_op([&](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, buf, n, -1); })`
//
// The prepare function fills the SQE (not its user_data, which the loop owns). Everything the SQE
// points to must outlive the co_await — which it does when it lives in the awaiting coroutine's
// frame, because the coroutine is not resumed before the operation's CQE has arrived, also after a
// cancel.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/loop_wait.hpp>
#include <weft/io_loop.hpp>

#include <liburing.h>

#include <cerrno>
#include <coroutine>
#include <cstdint>
#include <utility>

namespace weft {

/// The awaitable returned by uring_op().
///   Yields: the CQE's result (>= 0, or -errno for a failed operation).
///   Resumes on: the loop thread, after the operation's CQE has arrived.
///   Cancellation: a stop request submits IORING_OP_ASYNC_CANCEL for it; if the operation then
///     ends with -ECANCELED (or -EINTR), co_await throws operation_cancelled; if it completed
///     anyway, its real result is returned — nothing that happened is lost. A stop requested before
///     the co_await submits nothing and throws at once.
/// Must be awaited on a loop thread (aborts otherwise).
template <class Prepare>
class [[nodiscard]] uring_op_awaiter final : private detail::loop_wait,
                                             private detail::uring_completion {
 public:
  explicit uring_op_awaiter(Prepare prepare) : prepare_(std::move(prepare)) {
    on_cqe = [](detail::uring_completion* self, int result, std::uint32_t) noexcept {
      auto* op = static_cast<uring_op_awaiter*>(self);
      op->loop().operation_finished();
      op->complete(result);
    };
  }

  bool await_ready() const noexcept { return false; }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    return await_suspend_then(waiting, nullptr);
  }

  /// For composed operations that run several of these in a row without a coroutine frame of
  /// their own (byte_stream_ops::write_all): like await_suspend, but the completion makes `then`
  /// ready on the loop instead of resuming `waiting`, and `then`'s owner calls await_resume. A
  /// false return (stopped before starting) means await_resume may be called at once.
  template <class Promise>
  bool await_suspend_then(std::coroutine_handle<Promise> waiting, ::weft::work_item* then) {
    io_loop* loop = io_loop::current();
    WEFT_CHECK(loop != nullptr, "an io_uring operation was awaited outside a loop thread");
    if (detail::stop_token_of(waiting).stop_requested()) {
      stopped_before_start_ = true;
      return false;
    }
    io_uring_sqe* sqe = loop->acquire_sqe();
    prepare_(sqe);
    io_uring_sqe_set_data(sqe, static_cast<detail::uring_completion*>(this));
    loop->operation_started();
    arm(*loop, waiting, then);
    return true;
  }

  int await_resume() {
    if (stopped_before_start_) throw operation_cancelled{};
    bool stopped = disarm();
    if (stopped && (result_ == -ECANCELED || result_ == -EINTR)) throw operation_cancelled{};
    return result_;
  }

 private:
  void finish_early() noexcept override {
    io_uring_sqe* sqe = loop().acquire_sqe();
    io_uring_prep_cancel64(
        sqe, reinterpret_cast<std::uintptr_t>(static_cast<detail::uring_completion*>(this)), 0);
    io_uring_sqe_set_data(sqe, nullptr);  // the cancel's own CQE is of no interest
  }

  Prepare prepare_;
  bool stopped_before_start_ = false;
};

/// An awaitable io_uring operation whose SQE `prepare` fills (see uring_op_awaiter).
template <class Prepare>
[[nodiscard]] uring_op_awaiter<Prepare> uring_op(Prepare prepare) {
  return uring_op_awaiter<Prepare>{std::move(prepare)};
}

}  // namespace weft

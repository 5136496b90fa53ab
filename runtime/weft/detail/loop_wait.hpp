// weft/detail/loop_wait.hpp — a wait that completes on the loop thread and that a stop request from
// any thread can end early.
//
// The base of every loop operation (timers, SQEs). The operation itself completes on the loop
// thread (a CQE is reaped, a timer fires); the stop callback may run on any thread, and must never
// touch the ring or the timer heap. So the callback only claims the wait and enqueues a "stop item"
// on the loop, and the loop thread does the rest.
//
// `state_` (the only field both sides touch):
//   waiting  — armed; neither the completion nor a stop has claimed the wait.
//   done     — the completion claimed it (loop thread, CAS from waiting); the coroutine is resumed
//              and the stop callback, if it runs later, does nothing.
//   stopping — the stop callback claimed it (any thread, CAS from waiting) and enqueued the stop
//              item; the coroutine will be resumed by whichever of the stop item and the
//              completion comes second, both on the loop thread:
//                * the stop item asks the operation to finish early (ASYNC_CANCEL, remove the
//                  timer) unless the completion already arrived, in which case it resumes;
//                * the completion resumes unless the stop item has not run yet, in which case it
//                  leaves the resumption to the stop item.
// The coroutine is therefore resumed exactly once, and only after both the completion and any
// stop item are finished with the frame: a cancel is a request, never a completion.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/promise_base.hpp>
#include <weft/io_loop.hpp>

#include <atomic>
#include <cerrno>
#include <optional>
#include <stop_token>

namespace weft::detail {

class loop_wait : private work_item {
 public:
  loop_wait(const loop_wait&) = delete;
  loop_wait& operator=(const loop_wait&) = delete;

 protected:
  loop_wait() noexcept { run = &run_stop_item; }
  ~loop_wait() = default;

  /// After the operation has started: remember who to resume and listen to its stop token.
  template <class Promise>
  void arm(io_loop& loop, std::coroutine_handle<Promise> waiting) {
    loop_ = &loop;
    resume_.set(waiting);
    std::stop_token token = stop_token_of(waiting);
    if (token.stop_possible()) callback_.emplace(std::move(token), on_stop{this});
  }

  /// Loop thread: the operation finished with `result` (a CQE's res, or 0 for a timer).
  void complete(int result) noexcept {
    result_ = result;
    state expected = state::waiting;
    if (state_.compare_exchange_strong(expected, state::done, std::memory_order_acq_rel) ||
        stop_item_ran_)
      loop_->make_ready(&resume_);
    else
      completed_ = true;  // the stop item is queued and will resume
  }

  /// Loop thread: make the operation finish soon (it must then call complete()).
  virtual void finish_early() noexcept = 0;

  /// For await_resume: stops listening, and tells whether a stop request claimed the wait.
  bool disarm() noexcept {
    callback_.reset();  // waits for a callback still running on another thread
    return state_.load(std::memory_order_acquire) == state::stopping;
  }

  [[nodiscard]] io_loop& loop() const noexcept { return *loop_; }

  int result_ = 0;

 private:
  enum class state : unsigned char { waiting, done, stopping };

  struct on_stop {
    loop_wait* self;
    void operator()() const noexcept {
      state expected = state::waiting;
      if (self->state_.compare_exchange_strong(expected, state::stopping,
                                               std::memory_order_acq_rel))
        self->loop_->enqueue(self);
    }
  };

  static void run_stop_item(work_item* item) noexcept {
    auto* self = static_cast<loop_wait*>(item);
    self->stop_item_ran_ = true;
    if (self->completed_)
      self->loop_->make_ready(&self->resume_);
    else
      self->finish_early();
  }

  std::atomic<state> state_{state::waiting};
  bool completed_ = false;      // loop thread: the completion arrived while stopping
  bool stop_item_ran_ = false;  // loop thread
  io_loop* loop_ = nullptr;
  resume_item resume_;
  std::optional<std::stop_callback<on_stop>> callback_;
};

}  // namespace weft::detail

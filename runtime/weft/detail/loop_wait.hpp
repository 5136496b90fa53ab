// weft/detail/loop_wait.hpp — a wait that completes on the loop thread and that a stop request from
// any thread can end early.
//
// The base of every loop operation (timers, SQEs). The operation itself completes on the loop
// thread (a CQE is reaped, a timer fires); a stop request may arrive on any thread, and must never
// touch the ring or the timer heap. So a stop request only claims the wait and enqueues a "stop
// item" on the loop, and the loop thread does the rest.
//
// `state_` (the only field both sides touch):
//   waiting  — armed; neither the completion nor a stop has claimed the wait.
//   done     — the completion claimed it (loop thread, a plain store over waiting, see below);
//              the coroutine is resumed and a stop request, if one comes later, does nothing.
//   stopping — a stop request claimed it (any thread, CAS from waiting) and enqueued the stop
//              item; the coroutine will be resumed by whichever of the stop item and the
//              completion comes second, both on the loop thread:
//                * the stop item asks the operation to finish early (ASYNC_CANCEL, remove the
//                  timer) unless the completion already arrived, in which case it resumes;
//                * the completion resumes unless the stop item has not run yet, in which case it
//                  leaves the resumption to the stop item.
// The coroutine is therefore resumed exactly once, and only after both the completion and any
// stop item are finished with the frame: a cancel is a request, never a completion.
//
// The completion claims the wait without an atomic read-modify-write: it first stops watching the
// coroutine's stop token (promise_base::unwatch_stop, which returns only once no stop request can
// reach on_stop_request() any more, nor is still inside it), and then nobody else writes state_:
// it reads `stopping` if a stop request got there first, else it stores `done`. An unwatched wait
// (no stop possible) was never reachable by a stop request at all.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/promise_base.hpp>
#include <weft/io_loop.hpp>

#include <atomic>
#include <cerrno>
#include <concepts>
#include <coroutine>
#include <utility>

namespace weft::detail {

class loop_wait : private work_item, private stop_target {
 public:
  loop_wait(const loop_wait&) = delete;
  loop_wait& operator=(const loop_wait&) = delete;

 protected:
  loop_wait() noexcept { run = &run_stop_item; }
  ~loop_wait() {
    if (watched_by_ != nullptr) watched_by_->unwatch_stop(this);  // a frame destroyed mid-wait
  }

  /// After the operation has started: remember who to resume and listen to the coroutine's stop
  /// token (through its promise: promise_base::watch_stop).
  /// `then`, when given, is run on the loop instead of resuming `waiting` when the wait ends (its
  /// owner then resumes `waiting` itself); stop requests still come from `waiting`'s token.
  template <class Promise>
  void arm(io_loop& loop, std::coroutine_handle<Promise> waiting, work_item* then = nullptr) {
    loop_ = &loop;
    resume_.set(waiting);
    continuation_ = then != nullptr ? then : &resume_;
    if constexpr (std::derived_from<Promise, promise_base>) {
      promise_base& promise = waiting.promise();
      if (promise.watch_stop(this)) watched_by_ = &promise;
    }
  }

  /// Loop thread: the operation finished with `result` (a CQE's res, or 0 for a timer).
  void complete(int result) noexcept {
    result_ = result;
    // Stop requests can no longer reach us after this (see the design comment above).
    if (promise_base* promise = std::exchange(watched_by_, nullptr)) promise->unwatch_stop(this);
    if (state_.load(std::memory_order_acquire) == state::waiting) {
      state_.store(state::done, std::memory_order_relaxed);
      loop_->make_ready(continuation_);
    } else if (stop_item_ran_) {
      loop_->make_ready(continuation_);
    } else {
      completed_ = true;  // the stop item is queued and will resume
    }
  }

  /// Loop thread: make the operation finish soon (it must then call complete()).
  virtual void finish_early() noexcept = 0;

  /// For await_resume: tells whether a stop request claimed the wait. (complete() already stopped
  /// listening; this is for awaiters that end a wait without completing it.)
  bool disarm() noexcept {
    // Waits for a stop request still being delivered on another thread.
    if (promise_base* promise = std::exchange(watched_by_, nullptr)) promise->unwatch_stop(this);
    return state_.load(std::memory_order_acquire) == state::stopping;
  }

  [[nodiscard]] io_loop& loop() const noexcept { return *loop_; }

  int result_ = 0;

 private:
  enum class state : unsigned char { waiting, done, stopping };

  // Any thread.
  void on_stop_request() noexcept override {
    state expected = state::waiting;
    if (state_.compare_exchange_strong(expected, state::stopping, std::memory_order_acq_rel))
      loop_->enqueue(this);
  }

  static void run_stop_item(work_item* item) noexcept {
    auto* self = static_cast<loop_wait*>(item);
    self->stop_item_ran_ = true;
    if (self->completed_)
      self->loop_->make_ready(self->continuation_);
    else
      self->finish_early();
  }

  std::atomic<state> state_{state::waiting};
  bool completed_ = false;      // loop thread: the completion arrived while stopping
  bool stop_item_ran_ = false;  // loop thread
  io_loop* loop_ = nullptr;
  resume_item resume_;
  work_item* continuation_ = nullptr;   // what the end of the wait makes ready: &resume_ or `then`
  promise_base* watched_by_ = nullptr;  // the promise whose stop requests reach on_stop_request()
};

}  // namespace weft::detail

// weft/detail/stoppable_waiter.hpp — the part every primitive's awaiter shares: a waiter that a
// stop request can withdraw from the primitive's list.
//
// Race of the protocol's step 3 (weft/waker.hpp), settled under the primitive's lock `Lock`:
//   * the stop callback finds the waiter linked → unlinks it, marks it cancelled, wakes it;
//   * it finds it not yet linked and undecided (stop requested while the awaiter registers) →
//     marks `stopped_early`, and the awaiter does not suspend;
//   * it finds it decided but never linked → the operation completed without waiting (the
//     primitive changed between await_ready and await_suspend); the outcome stands, nothing to do;
//   * it finds it linked once and unlinked since → a waker got there first; nothing to do.
// The decision is the call to stopped_early() under the lock: from then on the awaiter either
// links or completes, both before the lock is released.
//
// Awaiters hold a deferred_waiter (below), which builds the stoppable_waiter only in await_suspend:
// an operation that completes in await_ready never pays for a waiter it does not use.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/promise_base.hpp>
#include <weft/waker.hpp>

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <new>
#include <utility>

namespace weft::detail {

class stoppable_waiter final : private stop_target {
 public:
  stoppable_waiter(spin_lock& lock, waiter_list& list) noexcept : lock_(lock), list_(list) {}
  stoppable_waiter(const stoppable_waiter&) = delete;
  stoppable_waiter& operator=(const stoppable_waiter&) = delete;
  ~stoppable_waiter() {
    if (watched_by_ != nullptr) watched_by_->unwatch_stop(this);  // a frame destroyed mid-wait
  }

  /// Before taking the primitive's lock in await_suspend: prepare and start listening for stop
  /// (through the waiting coroutine's promise: promise_base::watch_stop).
  template <class Promise>
  void prepare(std::coroutine_handle<Promise> waiting) {
    waiter_.prepare_coroutine(waiting);
    if constexpr (std::derived_from<Promise, promise_base>) {
      promise_base& promise = waiting.promise();
      if (promise.watch_stop(this)) watched_by_ = &promise;
    }
  }

  /// Under the lock, once, as the awaiter decides: true when a stop request came first (then do
  /// not suspend, and await_resume throws). When false, the awaiter must link or complete the
  /// operation before releasing the lock; a stop request after that no longer cancels a
  /// completed operation.
  [[nodiscard]] bool stopped_early() noexcept {
    if (stopped_early_) return true;
    decided_ = true;
    return false;
  }

  /// Under the lock: queue the waiter; the coroutine then suspends.
  void link() noexcept {
    list_.push_back(&waiter_);
    was_linked_ = true;
  }

  /// In await_resume: stop listening; throws operation_cancelled if a stop request withdrew it.
  void finish() {
    // Waits for a stop request still being delivered on another thread.
    if (promise_base* promise = std::exchange(watched_by_, nullptr)) promise->unwatch_stop(this);
    if (cancelled_) throw operation_cancelled{};
  }

  waiter& get() noexcept { return waiter_; }

 private:
  void on_stop_request() noexcept override { stop(); }

  void stop() noexcept {
    {
      std::lock_guard guard{lock_};
      if (!was_linked_) {
        if (decided_) return;  // completed without waiting: the outcome stands
        stopped_early_ = true;
        cancelled_ = true;
        return;
      }
      if (!list_.remove(&waiter_)) return;  // already woken
      cancelled_ = true;
    }
    waiter_.wake();
  }

  spin_lock& lock_;
  waiter_list& list_;
  waiter waiter_;
  bool decided_ = false;  // stopped_early() returned false: linked or completed, under the lock
  bool was_linked_ = false;
  bool stopped_early_ = false;
  bool cancelled_ = false;
  promise_base* watched_by_ = nullptr;  // the promise whose stop requests reach stop()
};

/// A stoppable_waiter built only when its awaiter is about to suspend, so that an operation that
/// completes in await_ready (an uncontended lock, a value already there) writes three words into
/// the coroutine frame rather than a whole waiter (~120 bytes). The same interface as
/// stoppable_waiter: prepare() builds it.
class deferred_waiter {
 public:
  deferred_waiter(spin_lock& lock, waiter_list& list) noexcept : lock_(lock), list_(list) {}
  deferred_waiter(const deferred_waiter&) = delete;
  deferred_waiter& operator=(const deferred_waiter&) = delete;
  ~deferred_waiter() {
    if (built_) get().~stoppable_waiter();
  }

  template <class Promise>
  void prepare(std::coroutine_handle<Promise> waiting) {
    WEFT_CHECK(!built_, "an awaiter of a weft primitive was awaited twice");
    ::new (static_cast<void*>(storage_)) stoppable_waiter(lock_, list_);
    built_ = true;
    get().prepare(waiting);
  }
  [[nodiscard]] bool stopped_early() noexcept { return get().stopped_early(); }
  void link() noexcept { get().link(); }
  waiter& get_waiter() noexcept { return get().get(); }
  /// As stoppable_waiter::finish; nothing when the awaiter never suspended.
  void finish() {
    if (built_) get().finish();
  }

 private:
  stoppable_waiter& get() noexcept {
    return *std::launder(reinterpret_cast<stoppable_waiter*>(storage_));
  }

  spin_lock& lock_;
  waiter_list& list_;
  bool built_ = false;
  alignas(stoppable_waiter) std::byte storage_[sizeof(stoppable_waiter)];
};

}  // namespace weft::detail

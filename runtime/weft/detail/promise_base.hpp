// weft/detail/promise_base.hpp — what every weft coroutine carries: its stop token and its
// continuation.
//
// Stop tokens flow downwards: a task awaited by another weft coroutine inherits the awaiter's token
// unless one was bound to it explicitly (`with_stop_token`). Awaitables read the token of the
// coroutine that awaits them through `stop_token_of(handle)`, so cancellation reaches every
// operation without being passed by hand.
//
// Stop watching: an awaitable that must react to a stop request while its coroutine waits (a
// primitive's waiter) names itself as the promise's stop target for the wait (watch_stop /
// unwatch_stop). The promise forwards stop requests to its current target through one
// std::stop_callback, registered at the first watched wait and kept until the coroutine ends. A
// std::stop_callback per wait costs six atomic read-modify-writes (token reference, register,
// deregister, each under the stop state's lock). A watched wait costs two plain stores and two
// loads: the race between a wait beginning or ending and a stop request on another thread is a
// Dekker hand-shake, and its fence is split (detail/asymmetric_fence.hpp) — a compiler barrier on
// the waiting side, which runs at every wait, and a membarrier on the delivering side, which runs
// once per stop request and thread (a request reaching many coroutines through one token pays it
// once). With two full fences a watched wait cost two atomic read-modify-writes, a fifth of a
// same-loop channel round trip.
//
// Continuations are sticky: when a task finishes on another executor than the one its awaiter was
// suspended on, the awaiter is enqueued back on its own executor instead of being resumed inline.
#pragma once

#include <weft/executor.hpp>

#include <atomic>
#include <concepts>
#include <coroutine>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <utility>

namespace weft::detail {

/// What a suspended coroutine waits on, as a stop request sees it (promise_base::watch_stop).
class stop_target {
 public:
  /// A stop request arrived while this target was watched: any thread, at most once per watch.
  virtual void on_stop_request() noexcept = 0;

 protected:
  ~stop_target() = default;
};

/// The token foreign coroutines (not weft tasks), and shielded waits, are treated as having: no
/// stop is possible.
inline const std::stop_token no_stop_token{};

class promise_base {
 public:
  promise_base() = default;
  promise_base(const promise_base&) = delete;
  promise_base& operator=(const promise_base&) = delete;

  /// The coroutine's token; an empty one while a `shielded` wait runs.
  [[nodiscard]] const std::stop_token& stop_token() const noexcept {
    return shielded_ ? no_stop_token : stop_token_;
  }

  /// Starts (true) or ends (false) a shielded wait (weft::shielded), returning the previous
  /// setting. Only by the coroutine itself (on whichever thread runs it): stop requests from
  /// other threads never read it, since a shielded wait is never watched (watch_stop returns
  /// false).
  bool set_shielded(bool on) noexcept { return std::exchange(shielded_, on); }

  /// Fixes the token; later inheritance from an awaiter no longer replaces it. Before the
  /// coroutine first watches a wait (the forwarding callback is registered on the token then).
  void bind_stop_token(std::stop_token token) noexcept {
    stop_token_ = std::move(token);
    token_bound_ = true;
  }

  /// Takes the awaiter's token unless one was bound.
  void inherit_stop_token(const std::stop_token& token) noexcept {
    if (!token_bound_) stop_token_ = token;
  }

  /// Makes `target` receive a stop request of this coroutine's token until unwatch_stop, including
  /// one made before this call (then delivered inline, before this returns). False, and nothing
  /// to undo, when the token can never be stopped. The coroutine's thread, one watch at a time.
  bool watch_stop(stop_target* target) noexcept;

  /// Ends the watch of `target`. When a stop request is being delivered to it on another thread,
  /// waits until that delivery is over, so `target` may be destroyed once this returns.
  void unwatch_stop(stop_target* target) noexcept;

  /// The name of the root task this coroutine runs under, or nullptr.
  [[nodiscard]] const char* task_name() const noexcept { return task_name_; }
  void set_task_name(const char* name) noexcept { task_name_ = name; }

  /// Records who resumes when this coroutine completes, and on which executor.
  void set_continuation(std::coroutine_handle<> continuation, executor* home) noexcept {
    continuation_ = continuation;
    continuation_home_ = home;
  }

  /// Called from final_suspend: the coroutine to transfer to (possibly noop) after arranging for
  /// the continuation to run on its home executor.
  [[nodiscard]] std::coroutine_handle<> take_continuation() noexcept {
    executor* home = continuation_home_;
    if (home == nullptr || home == current_executor()) return continuation_;
    resume_node_.handle = continuation_;
    resume_node_.task_name = task_name_;
    home->enqueue(&resume_node_);  // the awaiter may destroy this frame from now on
    return std::noop_coroutine();
  }

 private:
  std::stop_token stop_token_;
  bool shielded_ = false;  // touched only by the coroutine itself
  std::coroutine_handle<> continuation_;
  executor* continuation_home_ = nullptr;
  resume_item resume_node_;
  const char* task_name_ = nullptr;
  bool token_bound_ = false;

  struct stop_forwarder {
    promise_base* self;
    void operator()() const noexcept { self->forward_stop(/*fence_needed=*/true); }
  };
  void forward_stop(bool fence_needed) noexcept;

  // The watched stop target (see "Stop watching" above). Values:
  //   nullptr        — no wait is watched;
  //   a target       — stored by the coroutine's thread (watch_stop, a release store); taken
  //                    back by it (unwatch_stop stores nullptr) or claimed by a delivery (CAS
  //                    to delivering);
  //   delivering     — a delivery is calling the target's on_stop_request(); the delivering
  //                    thread stores nullptr when done (unless unwatch_stop did first).
  std::atomic<stop_target*> stop_target_{nullptr};
  // How many deliveries are under way (forward_stop): incremented before a delivery looks at
  // stop_target_, decremented (release) when it is done with the target. unwatch_stop, after
  // taking the target back, waits for it to be 0 — the hand-shake guarantees that a delivery which
  // claimed the target has incremented it visibly by then.
  std::atomic<std::uint32_t> deliveries_{0};
  // Registered at the first watch_stop on a stoppable token; removed with the frame.
  std::optional<std::stop_callback<stop_forwarder>> stop_forwarder_;
};

inline const char* task_name_of_promise(const promise_base& promise) noexcept {
  return promise.task_name();
}

/// The task name of the coroutine behind `handle`, or nullptr for a foreign coroutine.
template <class Promise>
[[nodiscard]] const char* task_name_of(std::coroutine_handle<Promise> handle) noexcept {
  if constexpr (std::derived_from<Promise, promise_base>)
    return handle.promise().task_name();
  else
    return nullptr;
}

/// The stop token of the coroutine behind `handle`, or an empty token for a foreign coroutine.
/// A reference, valid while the coroutine is suspended: copying a token is an atomic increment
/// (and its destruction a decrement), which awaiters that only ask stop_requested() need not pay.
template <class Promise>
[[nodiscard]] const std::stop_token& stop_token_of(std::coroutine_handle<Promise> handle) noexcept {
  if constexpr (std::derived_from<Promise, promise_base>)
    return handle.promise().stop_token();
  else
    return no_stop_token;
}

}  // namespace weft::detail

#include <weft/detail/promise_base.hpp>

#include <weft/detail/asymmetric_fence.hpp>
#include <weft/detail/fatal.hpp>

#include <thread>
#include <utility>

// The hand-shake (see "Stop watching" in the header). Two pairs of a store and a load, each pair
// on opposite threads, with light_fence() between store and load on the coroutine's thread and
// heavy_fence() on the delivering one:
//   * beginning a wait:  coroutine: store stop_target_ = target; light; load "stop requested"
//                        delivery:  (request_stop stored "stop requested"); heavy; load
//                        stop_target_
//     — at least one of them sees the other's store: the delivery finds the target, or the
//     coroutine sees the request and delivers it itself (both may; the CAS on stop_target_ lets
//     only one call the target);
//   * ending a wait:     coroutine: store stop_target_ = nullptr; light; load deliveries_
//                        delivery:  increment deliveries_; heavy; CAS stop_target_ → delivering
//     — a delivery that claimed the target is seen by the coroutine, which then waits for it.
// The first watch registers the forwarding std::stop_callback, whose registration synchronises
// with request_stop through the stop state's own lock: no fence is needed there.

namespace weft::detail {
namespace {

// Marks stop_target_ while a stop request calls into the target it took: an address no target
// can have.
alignas(stop_target) char delivering_mark;
stop_target* const delivering = reinterpret_cast<stop_target*>(&delivering_mark);

// The delivery this thread is making, if any. A target whose waker resumes its coroutine inline
// (a coroutine with no executor, driven by hand) gets unwatched from inside on_stop_request(): the
// coroutine must not wait for a delivery its own thread is making, and once it has gone on, the
// delivery must not touch its promise again (the coroutine ends the delivery's count for it).
struct delivery {
  promise_base* promise = nullptr;
  bool released = false;  // the coroutine ended the watch from inside the delivery
};
thread_local delivery* this_thread_delivery = nullptr;

// The stop state this thread last ran heavy_fence() for, inside a delivery. request_stop stores
// "stop requested" once, then calls every callback on its thread: one fence after that store
// serves all of them (a scope cancelling ten thousand children pays one membarrier, not ten
// thousand).
thread_local std::stop_token fenced_for;

}  // namespace

bool promise_base::watch_stop(stop_target* target) noexcept {
  if (shielded_ || !stop_token_.stop_possible()) return false;
  WEFT_CHECK(stop_target_.load(std::memory_order_relaxed) == nullptr,
             "a coroutine watched two waits for stop requests at once (an awaiter that combines "
             "two weft awaiters in one co_await?)");
  // Release: a delivery that loads it (acquire) may use the target's fields.
  stop_target_.store(target, std::memory_order_release);
  if (!stop_forwarder_) {
    stop_forwarder_.emplace(stop_token_, stop_forwarder{this});  // runs inline if already stopped
  } else {
    light_fence();
    if (stop_token_.stop_requested())
      forward_stop(/*fence_needed=*/false);  // the forwarder ran before this watch began
  }
  return true;
}

void promise_base::unwatch_stop(stop_target* target) noexcept {
  // A delivery may have claimed the target (stop_target_ is `delivering` then) and may finish at
  // any time; storing nullptr over either is what it would do itself.
  (void)target;
  stop_target_.store(nullptr, std::memory_order_relaxed);
  light_fence();
  if (deliveries_.load(std::memory_order_acquire) == 0) return;  // the common case
  if (this_thread_delivery != nullptr && this_thread_delivery->promise == this) {
    // Our own thread delivers, further up this stack, and must not touch us once we go on.
    this_thread_delivery->released = true;
    deliveries_.fetch_sub(1, std::memory_order_release);
  }
  for (int spins = 0; deliveries_.load(std::memory_order_acquire) != 0; ++spins)
    if (spins > 100) std::this_thread::yield();
}

void promise_base::forward_stop(bool fence_needed) noexcept {
  deliveries_.fetch_add(1, std::memory_order_relaxed);  // ordered by the fence below
  // On the coroutine's own thread (watch_stop's catch-up) program order does the fence's work.
  if (fence_needed && fenced_for != stop_token_) {
    heavy_fence();
    fenced_for = stop_token_;
  }
  stop_target* target = stop_target_.load(std::memory_order_acquire);
  while (target != nullptr && target != delivering) {
    if (!stop_target_.compare_exchange_weak(target, delivering, std::memory_order_acq_rel,
                                            std::memory_order_acquire))
      continue;
    delivery here{this, false};
    delivery* outer = std::exchange(this_thread_delivery, &here);
    target->on_stop_request();
    this_thread_delivery = outer;
    if (here.released) return;  // the coroutine went on, ending our count
    stop_target* claimed = delivering;
    stop_target_.compare_exchange_strong(claimed, nullptr, std::memory_order_relaxed);
    break;
  }
  deliveries_.fetch_sub(1, std::memory_order_release);
}

}  // namespace weft::detail

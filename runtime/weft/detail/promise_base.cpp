#include <weft/detail/promise_base.hpp>

#include <weft/detail/fatal.hpp>

#include <thread>
#include <utility>

namespace weft::detail {
namespace {

// Marks stop_target_ while a stop request calls into the target it took: an address no target
// can have.
alignas(stop_target) char delivering_mark;
stop_target* const delivering = reinterpret_cast<stop_target*>(&delivering_mark);

// The delivery this thread is making, if any. A target whose waker resumes its coroutine inline
// (a coroutine with no executor, driven by hand) gets unwatched from inside on_stop_request(): the
// coroutine must not wait for a delivery its own thread is making, and once it has gone on, the
// delivery must not touch its promise again.
struct delivery {
  promise_base* promise = nullptr;
  bool released = false;  // the coroutine ended the watch from inside the delivery
};
thread_local delivery* this_thread_delivery = nullptr;

}  // namespace

bool promise_base::watch_stop(stop_target* target) noexcept {
  if (!stop_token_.stop_possible()) return false;
  WEFT_CHECK(stop_target_.load(std::memory_order_relaxed) == nullptr,
             "a coroutine watched two waits for stop requests at once (an awaiter that combines "
             "two weft awaiters in one co_await?)");
  stop_target_.store(target, std::memory_order_seq_cst);
  if (!stop_forwarder_)
    stop_forwarder_.emplace(stop_token_, stop_forwarder{this});  // runs inline if already stopped
  else if (stop_token_.stop_requested())
    forward_stop();  // the forwarder ran before this watch began: deliver it ourselves
  return true;
}

void promise_base::unwatch_stop(stop_target* target) noexcept {
  stop_target* expected = target;
  if (stop_target_.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel,
                                           std::memory_order_acquire))
    return;                            // no delivery: the common case
  if (expected != delivering) return;  // a delivery is over already
  if (this_thread_delivery != nullptr && this_thread_delivery->promise == this) {
    this_thread_delivery->released = true;  // our own thread delivers, further up this stack
    stop_target_.store(nullptr, std::memory_order_release);
    return;
  }
  for (int spins = 0; stop_target_.load(std::memory_order_acquire) == delivering; ++spins)
    if (spins > 100) std::this_thread::yield();
}

void promise_base::forward_stop() noexcept {
  // Either the requester's load here sees the target, or watch_stop's check after its store sees
  // the request (both seq_cst); if both do, the CAS lets only one of them deliver.
  stop_target* target = stop_target_.load(std::memory_order_seq_cst);
  while (target != nullptr && target != delivering) {
    if (!stop_target_.compare_exchange_weak(target, delivering, std::memory_order_acq_rel,
                                            std::memory_order_acquire))
      continue;
    delivery here{this, false};
    delivery* outer = std::exchange(this_thread_delivery, &here);
    target->on_stop_request();
    this_thread_delivery = outer;
    if (!here.released) stop_target_.store(nullptr, std::memory_order_release);
    return;
  }
}

}  // namespace weft::detail

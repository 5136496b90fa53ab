// weft/sync_wait.hpp — run a task to completion from plain synchronous code (main(), tests).
//
// Threading model: the calling thread becomes a small executor for the duration of the call. The
// task starts inline; whatever is resumed "on this executor" (the task's awaiters coming back from
// the pool, a primitive woken by another thread) is enqueued in a lock-free inbox and run here.
// When the inbox is empty and the task is not done, the thread sleeps on a futex until another
// thread enqueues.
#pragma once

#include <weft/detail/drive_into.hpp>
#include <weft/detail/driver.hpp>
#include <weft/detail/mpsc_inbox.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/task.hpp>

#include <atomic>
#include <type_traits>

namespace weft {
namespace detail {

class blocking_executor final : public executor, public completion_sink {
 public:
  void enqueue(work_item* item) noexcept override {
    if (inbox_.push(item)) inbox_.notify();
  }
  [[nodiscard]] std::string_view name() const noexcept override { return "sync_wait"; }

  std::coroutine_handle<> child_done() noexcept override {
    done_ = true;  // set and read on the calling thread only: the driver's last step runs there
    return std::noop_coroutine();
  }

  /// Starts `body` inline and runs this executor's queue until the body has finished.
  void run(driver body);

 private:
  mpsc_inbox inbox_;
  bool done_ = false;
};

}  // namespace detail

/// Runs `t` on the calling thread until it finishes; returns its value or rethrows its exception.
/// The task's stop token is the one bound with `with_stop_token`, else none (it cannot be
/// cancelled).
///
/// Must not be called from a thread that is running an executor's work (a loop or pool coroutine):
/// blocking there would stall every other coroutine of that executor, so it aborts with a message.
template <class T>
T sync_wait(task<T> t) {
  WEFT_CHECK(t.valid(), "sync_wait on an empty task: it was moved from or already awaited");
  detail::outcome<T> result;
  detail::blocking_executor runner;
  runner.run(detail::drive_into(std::move(t), &result));
  if constexpr (std::is_void_v<T>)
    (void)result.take();
  else
    return result.take();
}

}  // namespace weft

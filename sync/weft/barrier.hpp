// weft/barrier.hpp — a reusable phase barrier for coroutines (on the loop or the pool) and plain
// threads, like std::barrier.
//
// Contract:
//   * A barrier is made for `expected` parties. Each phase completes when `expected` arrivals have
//     been counted; then the completion function (if any) runs exactly once, and only after it
//     has returned are the parties that wait in that phase released. The barrier then starts the
//     next phase with the same count, less the parties that left with arrive_and_drop().
//   * Arrivals: `co_await b.arrive_and_wait()` (coroutines), `blocking_arrive_and_wait()` and
//     `blocking_arrive_and_wait_for(timeout)` (plain threads), `arrive()` (counts and returns at
//     once), `arrive_and_drop()` (counts, returns at once, and the party is not expected in later
//     phases).
//   * A waiting arrival can be withdrawn while its phase has not completed: a stop request on a
//     waiting coroutine (co_await throws operation_cancelled), or the timeout of
//     blocking_arrive_and_wait_for (it returns false). The phase then needs one more arrival, as if
//     the party had never arrived. Once the phase has completed, the arrival counts as having
//     passed: a stop request or a timeout that comes later changes nothing (no exception, true).
//     Arrivals that do not wait (arrive, arrive_and_drop) cannot be withdrawn.
//   * More arrivals in one phase than it expects, or an arrival once every party has dropped out,
//     aborts with a message (std::barrier leaves both undefined).
//
// Threading model: every member may be called from any thread. One spin lock (`lock_`,
// detail/spin_lock.hpp) guards all of the state; it is held only for counting and list updates,
// never while the completion function runs or while a waiter is woken. Woken coroutines resume
// on their own executor (weft/waker.hpp), never on the thread that completed the phase.
//
// Wake-up protocol (the one of weft/waker.hpp, with a phase step in the middle):
//   1. An arrival that will wait is linked into `waiters_` under `lock_` (detail::stoppable_waiter
//      for coroutines, a waiter on the stack for threads) and counted in `linked_`.
//   2. The arrival that brings the count to `expected_` does not wait. Under `lock_` it takes every
//      waiter out of `waiters_` (the phase is decided: they have passed), starts the next phase's
//      count and sets `completing_`.
//   3. With `lock_` released it runs the completion function.
//   4. It takes `lock_` again. If the next phase's arrivals completed that phase meanwhile (only
//      arrivals that do not wait can), it completes it too, from step 2, collecting its waiters
//      after the earlier ones. Otherwise it clears `completing_` and releases `lock_`. While
//      `completing_` is set no other arrival completes a phase, so completion functions never
//      overlap and run in phase order.
//   5. It wakes the waiters it took, in phase and arrival order, and from then on touches nothing
//      of the barrier: a released party may destroy it.
//   6. Withdrawal (a stop request, a timeout) races with step 2 and is settled under `lock_`, as in
//      weft/waker.hpp: whoever unlinks the waiter owns its outcome. A stop callback or a timed-out
//      thread that finds its waiter still linked removes it, and its arrival no longer counts; one
//      that finds it taken by step 2 has passed.
//
// Counting withdrawals: detail::stoppable_waiter unlinks a cancelled coroutine without telling the
// barrier, so `linked_` is an upper bound on the waiters in `waiters_`, never an undercount. While
// the bound says the phase is short of arrivals, it is; when it says the phase may be complete, the
// barrier counts `waiters_` exactly (recount_waiters_locked) and continues from the exact figure.
// A phase costs one walk of the list when it completes, and each withdrawal at most one more.
#pragma once

#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/waker.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace weft {

class barrier {
 public:
  /// A barrier for `expected` parties. `on_phase_complete`, if given, runs once per phase on the
  /// thread of the arrival that completed it (see "Wake-up protocol" above), before any waiter of
  /// that phase is released. It runs without the barrier's lock held; it must not throw (that
  /// aborts) and should be short: waiting parties wait for it.
  explicit barrier(std::size_t expected, std::function<void()> on_phase_complete = {}) noexcept;
  /// Aborts when a party still waits on it, or a completion function is running.
  ~barrier();
  barrier(const barrier&) = delete;
  barrier& operator=(const barrier&) = delete;

  /// Counts `n` arrivals in the current phase and returns without waiting. If they complete the
  /// phase, the caller runs the completion function and releases the waiters before returning.
  void arrive(std::size_t n = 1);

  /// Counts one arrival in the current phase, and the party is no longer expected in the phases
  /// after it. Returns without waiting (running the completion as arrive() does).
  void arrive_and_drop();

  /// Number of phases completed so far (a phase counts as completed once its last arrival is
  /// counted, before its completion function runs).
  [[nodiscard]] std::uint64_t phase() const noexcept;

  /// `co_await b.arrive_and_wait()`
  ///   Yields: nothing, once the current phase has completed and its completion function has run.
  ///   Resumes on: the executor the coroutine was running on. The arrival that completes the phase
  ///     does not suspend: it runs the completion function inline and continues.
  ///   Cancellation: a stop request while waiting withdraws the arrival (the phase then needs
  ///     another) and co_await throws operation_cancelled; a stop already requested before the
  ///     co_await does the same without arriving. If the phase completed first, the arrival has
  ///     passed: co_await returns normally and the stop request is left for the next operation.
  ///   Thread-safety: any number of parties, from any threads.
  class arrive_and_wait_awaiter {
   public:
    explicit arrive_and_wait_awaiter(barrier& b) noexcept
        : barrier_(b), waiter_(b.lock_, b.waiters_) {}
    // Not ready without trying: the arrival is made in await_suspend, which knows the stop token.
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);  // before lock_: a stop already requested runs its callback now
      std::unique_lock guard{barrier_.lock_};
      if (waiter_.stopped_early()) return false;  // never arrived; await_resume throws
      if (barrier_.arrival_completes_locked(1)) {
        passed_without_waiting_ = true;
        barrier_.complete_phase(guard);
        return false;
      }
      waiter_.link();
      ++barrier_.linked_;
      return true;
    }
    void await_resume() {
      // Decided under lock_ when this arrival completed the phase. stoppable_waiter would report a
      // stop request arriving after that as cancellation (it cannot tell it from one that came
      // before the arrival), so it is not asked; its stop callback is unregistered when the
      // awaiter is destroyed.
      if (passed_without_waiting_) return;
      waiter_.finish();
    }

   private:
    barrier& barrier_;
    detail::deferred_waiter waiter_;
    bool passed_without_waiting_ = false;
  };
  [[nodiscard]] arrive_and_wait_awaiter arrive_and_wait() noexcept {
    return arrive_and_wait_awaiter{*this};
  }

  /// For plain threads: arrives and blocks until the phase has completed and its completion
  /// function has run.
  void blocking_arrive_and_wait();
  /// For plain threads: arrives and blocks until the phase completes (true) or `timeout` passes
  /// (false). On a timeout the arrival is withdrawn — the phase still needs as many arrivals as if
  /// this one had never been made. A phase that completes just as the time runs out counts: true.
  [[nodiscard]] bool blocking_arrive_and_wait_for(std::chrono::steady_clock::duration timeout);

 private:
  /// Under lock_: true when `n` more arrivals complete the current phase and no completion is
  /// running. Aborts on more arrivals than the phase expects. Makes `linked_` exact when it counts.
  bool arrival_completes_locked(std::size_t n) noexcept;
  /// Under lock_: true when the arrivals counted so far (plus `n`) reach `expected_` (> 0).
  bool reaches_expected_locked(std::size_t n) noexcept;
  /// Under lock_: the number of waiters in `waiters_`, by walking it.
  std::size_t recount_waiters_locked() noexcept;
  /// Holding lock_ through `guard`, for the arrival that completes the current phase (it is not
  /// counted anywhere: the phase's count starts over): steps 2–4 of the protocol. Returns with
  /// `guard` unlocked.
  void complete_phase(std::unique_lock<detail::spin_lock>& guard) noexcept;
  /// Runs the completion function; aborts if it throws.
  void run_completion() noexcept;
  /// The blocking arrivals; false only when the deadline passed and the arrival was withdrawn.
  bool blocking_arrive_and_wait_until(
      std::optional<std::chrono::steady_clock::time_point> deadline) noexcept;

  const std::function<void()> on_phase_complete_;  // immutable after construction

  mutable detail::spin_lock lock_;  // guards every member below
  /// Arrivals that complete the current phase. Lowered by arrive_and_drop() when the phase ends.
  std::size_t expected_;
  /// Arrivals in the current phase that do not wait (arrive, arrive_and_drop; an arrival that
  /// completes the phase is not counted: the count starts over). They cannot be withdrawn.
  std::size_t arrived_ = 0;
  /// Waiting arrivals linked in the current phase: an upper bound on the waiters in `waiters_`
  /// (a withdrawn coroutine leaves it high until the next recount; see the design comment).
  std::size_t linked_ = 0;
  /// arrive_and_drop() calls in the current phase; subtracted from `expected_` when it completes.
  std::size_t dropped_ = 0;
  /// Phases completed; advanced under lock_ when a phase is decided (step 2).
  std::uint64_t phase_ = 0;
  /// True from step 2 to the end of step 4: one party is running completion functions; no other
  /// arrival may complete a phase meanwhile (the arrivals are counted for the next phase).
  bool completing_ = false;
  /// The parties waiting in the current phase, in arrival order.
  waiter_list waiters_;
};

}  // namespace weft

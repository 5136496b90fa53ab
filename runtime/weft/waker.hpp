// weft/waker.hpp — the one wake-up mechanism every primitive uses.
//
// A `waiter` stands for one party blocked on a primitive (an event, a mutex, a channel...). It is
// either
//   * a suspended coroutine — woken by enqueueing it on its home executor (the loop it runs on, the
//     pool, a sync_wait thread), never by resuming it inline on the waker's thread; only a
//     coroutine with no executor at all (driven by hand) is resumed inline, as nothing else could
//     run it; or
//   * a blocked plain thread — woken through a futex on the waiter's own word.
//
// Protocol (the primitive holds a lock of its own around its waiter list):
//   1. The waiter prepares itself (prepare_coroutine / prepare_thread), then, under the primitive's
//      lock, links itself into the list.
//   2. A waker unlinks it under the lock, decides its outcome (the value, the lock, cancelled), and
//      after releasing the lock calls wake(). From then on it must not touch the waiter: the
//      woken party may already be running and its frame or stack gone.
//   3. Cancellation (a stop request, a timeout) is a race against step 2, settled under the same
//      lock: whoever unlinks the waiter owns its outcome. A waiter that finds itself already
//      unlinked has been woken, and takes the outcome it was given.
//
// Spin policy (detail::spin_window and detail::spin_yielder below), shared by the executors that
// spin for work before they sleep — a pool worker before it parks on its futex, the loop before it
// sleeps in io_uring_enter (thread_pool.hpp, io_loop.hpp) — because waking a sleeping thread costs
// tens of microseconds on a VM (75 µs median on the 2-vCPU development VM), while a hand-off to a
// spinning thread costs a few cache-line transfers. Three rules, measured on that VM:
//   1. Length. A spin lasts the executor's base window (its option), or long_spin_factor times
//      that when the thread's previous spin ended by finding work — hand-offs are flowing, and the
//      answer we wait for may be late because the other thread's vCPU was taken away for a while
//      (~2,000 such stalls a second per vCPU there, median 40 µs, p99 150 µs, in a thread that
//      only spins). A spin that finds nothing sets the next one back to the base window, so a
//      thread with nothing to do spins at most one long window after its last work, then sleeps.
//   2. Yield. Every spin_yield_interval of fruitless spinning the thread calls sched_yield(): the
//      scheduler often puts a thread it wakes on the waker's CPU, and when the two ends of a
//      ping-pong share a CPU, a spinner that never yields holds up the very answer it waits for
//      (each hand-off then costs a whole spin window: 110 µs per round trip with 50 µs windows,
//      45 µs with the yield).
//   3. When. Only a thread that just ran out of work after receiving cross-thread work spins
//      (each executor says exactly when). In particular a thread that has just woken a sleeping
//      one does not spin for its answer: the woken thread is likely to be scheduled on this CPU.
// The state is per thread (thread_local in waker.cpp): each executor thread spins for itself.
#pragma once

#include <weft/detail/promise_base.hpp>
#include <weft/detail/spin_lock.hpp>
#include <weft/executor.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <mutex>

namespace weft {

class waiter_list;

class waiter {
 public:
  waiter() = default;
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  /// A coroutine about to suspend: it will be resumed on the executor it is running on now.
  template <class Promise>
  void prepare_coroutine(std::coroutine_handle<Promise> waiting) noexcept {
    is_thread_ = false;
    item_.set(waiting);
    home_ = current_executor();
  }

  /// A plain thread about to block in block() / block_until().
  void prepare_thread() noexcept {
    is_thread_ = true;
    word_.store(0, std::memory_order_relaxed);
  }

  /// Step 2: wake the waiter (any thread). The waiter may be gone once this returns.
  void wake() noexcept;

  /// For a thread waiter: blocks until wake(). A brief spin first, then the futex.
  void block() noexcept;
  /// For a thread waiter: blocks until wake() or `deadline`; false on timeout (the caller must then
  /// settle the race of step 3 under the primitive's lock).
  bool block_until(std::chrono::steady_clock::time_point deadline) noexcept;

  /// For a thread waiter linked into `list` (guarded by `lock`): blocks until woken or `deadline`.
  /// True when woken — the waker's outcome stands, also if it came just as the time ran out;
  /// false when the waiter withdrew itself from `list` on timeout (step 3, settled under `lock`).
  bool block_until_or_withdraw(detail::spin_lock& lock, waiter_list& list,
                               std::chrono::steady_clock::time_point deadline) noexcept;

  /// Wakes every waiter of a chain linked through `next` (built under the primitive's lock from
  /// waiters it unlinked), after that lock is released.
  static void wake_chain(waiter* first) noexcept;

  /// What the waiter waits with, for the primitive's use (a channel keeps the address of the
  /// sender's value or the receiver's slot here); touched only under the primitive's lock.
  void* context = nullptr;

  // Links for the primitive's intrusive list; touched only under the primitive's lock.
  waiter* next = nullptr;
  waiter* prev = nullptr;
  bool linked = false;

 private:
  resume_item item_;
  executor* home_ = nullptr;
  std::atomic<std::uint32_t> word_{0};  // thread waiters: 0 blocked, 1 woken (by wake())
  bool is_thread_ = false;
};

/// An intrusive FIFO of waiters; the owner guards it with its own lock.
class waiter_list {
 public:
  void push_back(waiter* w) noexcept;
  [[nodiscard]] waiter* pop_front() noexcept;
  /// Unlinks `w` if it is still in the list; false when a waker took it first.
  bool remove(waiter* w) noexcept;
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
  /// Unlinks every waiter, returning them as a chain (FIFO) for waiter::wake_chain.
  [[nodiscard]] waiter* take_all() noexcept;

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

namespace detail {

/// Spin policy: how long the calling thread, about to spin for work before it sleeps, spins —
/// `base` or long_spin_factor × `base`.
[[nodiscard]] std::chrono::nanoseconds spin_window(std::chrono::nanoseconds base) noexcept;

/// Spin policy: how the calling thread's spin ended — it found work, or its window ran out. (A
/// spin cut short for another reason, a timer deadline say, reports nothing.)
void spin_ended(bool found_work) noexcept;

/// How many times its base window a spin lasts when it is long.
inline constexpr int long_spin_factor = 2;

/// Spin policy: while a thread spins for work, how often it yields its CPU.
inline constexpr std::chrono::microseconds spin_yield_interval{20};

/// Spin policy: the yields of one spin. Call due() with the time at each look at the clock.
class spin_yielder {
 public:
  explicit spin_yielder(std::chrono::steady_clock::time_point start) noexcept
      : next_(start + spin_yield_interval) {}
  /// Yields the CPU (sched_yield) when spin_yield_interval has passed since the spin began or
  /// since the last yield.
  void due(std::chrono::steady_clock::time_point now) noexcept;

 private:
  std::chrono::steady_clock::time_point next_;
};

}  // namespace detail
}  // namespace weft

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
#pragma once

#include <weft/detail/promise_base.hpp>
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
  bool block_until_or_withdraw(std::mutex& lock, waiter_list& list,
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

}  // namespace weft

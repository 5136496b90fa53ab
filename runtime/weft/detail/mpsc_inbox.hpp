// weft/detail/mpsc_inbox.hpp — a lock-free multi-producer, single-consumer queue of work items.
//
// Producers push with one CAS onto an intrusive stack; the consumer takes the whole stack with one
// exchange and reverses it, so items come out in push order per producer (FIFO). No allocation, no
// lock. The return value of push() tells the producer whether the inbox was empty, which is when a
// sleeping consumer may need a wake-up (the loop and sync_wait build their wake-up protocols on
// that).
#pragma once

#include <weft/executor.hpp>

#include <atomic>

namespace weft::detail {

class mpsc_inbox {
 public:
  /// Any thread. Returns true when the inbox was empty before this push.
  bool push(work_item* item) noexcept {
    work_item* old_head = head_.load(std::memory_order_relaxed);
    do {
      item->next = old_head;
    } while (!head_.compare_exchange_weak(old_head, item, std::memory_order_release,
                                          std::memory_order_relaxed));
    return old_head == nullptr;
  }

  /// Consumer only. Takes every queued item, oldest first, as a linked list (nullptr when empty).
  [[nodiscard]] work_item* take_all() noexcept {
    work_item* stack = head_.exchange(nullptr, std::memory_order_acquire);
    work_item* fifo = nullptr;
    while (stack != nullptr) {
      work_item* next = stack->next;
      stack->next = fifo;
      fifo = stack;
      stack = next;
    }
    return fifo;
  }

  [[nodiscard]] bool empty() const noexcept {
    return head_.load(std::memory_order_acquire) == nullptr;
  }

  /// Blocks the consumer until the inbox is non-empty (futex wait; no spinning).
  void wait_nonempty() const noexcept { head_.wait(nullptr, std::memory_order_acquire); }

  /// Wakes a consumer blocked in wait_nonempty(). Producers call it after a push that found it
  /// empty.
  void notify() noexcept { head_.notify_one(); }

 private:
  // The stack's newest item, or nullptr. Producers CAS it (release); the consumer exchanges it for
  // nullptr (acquire).
  std::atomic<work_item*> head_{nullptr};
};

}  // namespace weft::detail

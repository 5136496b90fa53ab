// weft/detail/mpsc_inbox.hpp — a lock-free multi-producer queue of work items, drained whole.
//
// Producers push with one CAS onto an intrusive stack; a consumer takes the whole stack with one
// exchange and reverses it, so items come out in push order per producer (FIFO). No allocation, no
// lock. The return value of push() tells the producer whether the inbox was empty, which is when a
// sleeping consumer may need a wake-up (the loop and sync_wait build their wake-up protocols on
// that).
//
// Consumers: the loop and sync_wait have one. The thread pool lets any of its workers take_all():
// there is no single-item pop, so there is no ABA problem — each exchange takes a disjoint batch.
//
// Memory ordering: push's CAS and empty()'s load are seq_cst, so an inbox can be one side of a
// store-then-load (Dekker) wake-up protocol — a producer pushes then reads the consumer's state
// word, a consumer stores its state word then checks empty() — without extra fences. On x86-64
// both cost the same as release/acquire (lock cmpxchg; mov).
//
// Layout: the head word is the whole object. An owner whose consumer spins reading it while
// producers write it gives it a cache line of its own (alignas(64) on the member, and the next
// member aligned too), so that nothing the consumer or the producers write besides steals the line.
#pragma once

#include <weft/executor.hpp>

#include <atomic>

namespace weft::detail {

class mpsc_inbox {
 public:
  /// Any thread. Returns true when the inbox was empty before this push.
  bool push(work_item* item) noexcept {
    // Guess that the inbox is empty, the common case for a wake-up: the CAS then fetches the
    // line for writing in one transfer, where a load first would take two (read, then upgrade).
    work_item* old_head = nullptr;
    item->next = nullptr;
    while (!head_.compare_exchange_weak(old_head, item, std::memory_order_seq_cst,
                                        std::memory_order_relaxed))
      item->next = old_head;
    return old_head == nullptr;
  }

  /// A consumer. Takes every queued item, oldest first, as a linked list (nullptr when empty).
  [[nodiscard]] work_item* take_all() noexcept {
    if (head_.load(std::memory_order_relaxed) == nullptr) return nullptr;  // keep the line shared
    return reverse(head_.exchange(nullptr, std::memory_order_acquire));
  }

  [[nodiscard]] bool empty() const noexcept {
    return head_.load(std::memory_order_seq_cst) == nullptr;
  }

  /// Blocks the consumer until the inbox is non-empty (futex wait; no spinning).
  void wait_nonempty() const noexcept { head_.wait(nullptr, std::memory_order_acquire); }

  /// Wakes a consumer blocked in wait_nonempty(). Producers call it after a push that found it
  /// empty.
  void notify() noexcept { head_.notify_one(); }

 private:
  static work_item* reverse(work_item* stack) noexcept {
    work_item* fifo = nullptr;
    while (stack != nullptr) {
      work_item* next = stack->next;
      stack->next = fifo;
      fifo = stack;
      stack = next;
    }
    return fifo;
  }

  // The stack's newest item, or nullptr. Producers CAS it (seq_cst); consumers exchange it for
  // nullptr (acquire).
  std::atomic<work_item*> head_{nullptr};
};

}  // namespace weft::detail

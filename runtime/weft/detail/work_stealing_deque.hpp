// weft/detail/work_stealing_deque.hpp — the thread pool's per-worker queue: a lock-free Chase–Lev
// deque of work items (Lê, Pop, Cohen, Zappa Nardelli, "Correct and Efficient Work-Stealing for
// Weak Memory Models", PPoPP 2013), written from the paper's algorithm.
//
// Threading model: one owner thread (the worker the deque belongs to) calls push() and pop() at the
// bottom, newest first, so a worker keeps running the work it just made while its caches are warm.
// Any number of thief threads (idle workers) call steal() at the top, oldest first, so they take
// the work least likely to be hot in the owner's cache. size_estimate() is callable from any
// thread. The deque never owns the items, only pointers to them.
//
// Memory ordering (indices are signed, so bottom - 1 on an empty deque is -1, not a huge number):
//   1. push writes the slot, then stores bottom_ with release; a thief loads bottom_ with acquire
//      before reading the slot, so it sees the item (and everything the owner wrote before it).
//   2. push loads top_ with acquire: a thief reads its slot before its CAS on top_, so once the
//      owner sees top_ past that slot, the thief's read is finished and the slot may be reused.
//   3. pop must publish its claim (bottom_ decremented) before it reads top_, and steal must read
//      top_ before bottom_; otherwise both could take the last item. This is a store-then-load
//      (Dekker) pattern: the paper puts a seq_cst fence between the two accesses on each side; we
//      make the accesses themselves seq_cst instead (see 5).
//   4. When one item is left (top == bottom after pop's decrement), owner and thief both CAS top_
//      from the same value, so exactly one wins. pop then restores bottom_ with a release store:
//      C++20 no longer counts later same-thread stores in a release sequence, so a thief acquiring
//      that value must synchronise with it directly.
//   5. Why seq_cst operations rather than fences, in every build: ThreadSanitizer does not model
//      std::atomic_thread_fence, so it would miss the ordering the fences give and report false
//      races on the items' contents; and with one code path the build TSan checks is the build
//      that ships. The cost is nil or negative: on x86-64 pop's seq_cst store is one xchg (the
//      paper's is a store plus a full fence) and steal's seq_cst loads are plain movs (the paper's
//      has a full fence between them); on AArch64 they are stlr/ldar, which order a store before
//      a later load without a dmb.
//
// Growth and reclamation: the ring is a power of two; push grows it to twice the size when full
// (never fails, never drops an item), copying the live range [top, bottom) to the same indices in
// the new ring and publishing it with a release store. A thief that loaded the old ring pointer
// may still be reading it, and there is no cheap way to know when it is done, so retired rings are
// kept in a list owned by the deque and freed only in the destructor (by then no thread may use the
// deque). Sizes double, so the retired rings together are smaller than the current one: at most 2x
// the peak memory, and a worker's deque reaches its peak size early and stays there.
#pragma once

#include <weft/detail/fatal.hpp>
#include <weft/executor.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace weft::detail {

class work_stealing_deque {
 public:
  /// `initial_capacity` must be a power of two; the deque grows past it as needed.
  explicit work_stealing_deque(std::size_t initial_capacity = 256) {
    WEFT_CHECK(std::has_single_bit(initial_capacity),
               "work_stealing_deque: initial capacity {} is not a power of two", initial_capacity);
    rings_.push_back(std::make_unique<ring>(static_cast<std::int64_t>(initial_capacity)));
    ring_.store(rings_.back().get(), std::memory_order_relaxed);
  }

  /// No thread may be using the deque any more; frees the current and every retired ring.
  ~work_stealing_deque() = default;

  work_stealing_deque(const work_stealing_deque&) = delete;
  work_stealing_deque& operator=(const work_stealing_deque&) = delete;

  // ---- Owner thread only --------------------------------------------------------------------

  /// Adds `item` at the bottom. Grows the ring when full; throws only std::bad_alloc, leaving the
  /// deque unchanged.
  void push(work_item* item) {
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed);  // only we write it
    const std::int64_t top = top_.load(std::memory_order_acquire);        // ordering point 2
    ring* current = ring_.load(std::memory_order_relaxed);                // only we write it
    if (bottom - top >= current->capacity()) current = grow(current, top, bottom);
    current->store(bottom, item);
    bottom_.store(bottom + 1, std::memory_order_release);  // ordering point 1
  }

  /// Takes the newest item, or returns nullptr when the deque is empty (or a thief took the last
  /// item first).
  [[nodiscard]] work_item* pop() noexcept {
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed) - 1;
    ring* current = ring_.load(std::memory_order_relaxed);
    bottom_.store(bottom, std::memory_order_seq_cst);  // claim first, ordering point 3
    std::int64_t top = top_.load(std::memory_order_seq_cst);
    if (top > bottom) {  // was already empty
      bottom_.store(bottom + 1, std::memory_order_release);
      return nullptr;
    }
    work_item* item = current->load(bottom);
    if (top < bottom) return item;  // more than one left: no thief can reach this slot
    // The last item: race the thieves for it on top_ (ordering point 4).
    const bool won = top_.compare_exchange_strong(top, top + 1, std::memory_order_seq_cst,
                                                  std::memory_order_relaxed);
    bottom_.store(bottom + 1, std::memory_order_release);
    return won ? item : nullptr;
  }

  // ---- Any thread ---------------------------------------------------------------------------

  enum class steal_result {
    success,    // `out` holds the oldest item, now the caller's
    empty,      // nothing to steal
    lost_race,  // another thief or the owner took the item this call saw; the caller may retry
  };

  /// Takes the oldest item into `out` (left untouched unless the result is success).
  [[nodiscard]] steal_result steal(work_item*& out) noexcept {
    std::int64_t top = top_.load(std::memory_order_seq_cst);              // ordering point 3
    const std::int64_t bottom = bottom_.load(std::memory_order_seq_cst);  // also acquire: point 1
    if (top >= bottom) return steal_result::empty;
    // A ring loaded after bottom_ is at least as new as the one the owner pushed this slot into;
    // a newer ring holds a copy of the slot, and an older one stays alive (see growth above).
    const ring* current = ring_.load(std::memory_order_acquire);
    work_item* item = current->load(top);
    // Success means nobody moved top_ since we read it, so the slot was not reused meanwhile.
    if (!top_.compare_exchange_strong(top, top + 1, std::memory_order_seq_cst,
                                      std::memory_order_relaxed))
      return steal_result::lost_race;
    out = item;
    return steal_result::success;
  }

  /// How many items are queued; exact only when no other thread is using the deque.
  [[nodiscard]] std::size_t size_estimate() const noexcept {
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed);
    const std::int64_t top = top_.load(std::memory_order_relaxed);
    // pop's transient decrement can make bottom one less than top.
    return static_cast<std::size_t>(std::max<std::int64_t>(bottom - top, 0));
  }

 private:
  // A power-of-two ring of slots. Slots are atomics because a thief may read a slot while the
  // owner overwrites it (the thief's CAS then fails and it discards what it read).
  class ring {
   public:
    explicit ring(std::int64_t capacity)
        : mask_(capacity - 1),
          slots_(std::make_unique<std::atomic<work_item*>[]>(static_cast<std::size_t>(capacity))) {}

    [[nodiscard]] std::int64_t capacity() const noexcept { return mask_ + 1; }
    [[nodiscard]] work_item* load(std::int64_t index) const noexcept {
      return slots_[slot_of(index)].load(std::memory_order_relaxed);
    }
    void store(std::int64_t index, work_item* item) noexcept {
      slots_[slot_of(index)].store(item, std::memory_order_relaxed);
    }

   private:
    // mask_ is non-negative, so the masked index is too.
    [[nodiscard]] std::size_t slot_of(std::int64_t index) const noexcept {
      return static_cast<std::size_t>(index & mask_);
    }

    const std::int64_t mask_;
    const std::unique_ptr<std::atomic<work_item*>[]> slots_;
  };

  // Owner only. Replaces a full ring with one twice its size holding the same [top, bottom).
  ring* grow(const ring* full, std::int64_t top, std::int64_t bottom) {
    auto bigger = std::make_unique<ring>(full->capacity() * 2);
    for (std::int64_t index = top; index < bottom; ++index)
      bigger->store(index, full->load(index));
    ring* published = bigger.get();
    rings_.push_back(std::move(bigger));                // may throw: nothing is published yet
    ring_.store(published, std::memory_order_release);  // thieves acquire it: they see the copies
    return published;
  }

  static constexpr std::size_t cache_line_bytes = 64;

  // Index of the oldest item (the next one to steal). Only ever incremented, and only by a
  // successful CAS: by thieves in steal(), and by the owner in pop() when it takes the last item.
  // On its own cache line: thieves hammer it with CAS while the owner works on bottom_.
  alignas(cache_line_bytes) std::atomic<std::int64_t> top_{0};

  // One past the newest item (where the next push goes). Only the owner stores it: push()
  // increments it, pop() decrements it to claim a slot and restores it when the claim fails or the
  // deque was empty. Thieves only read it.
  alignas(cache_line_bytes) std::atomic<std::int64_t> bottom_{0};

  // The ring in use. The owner replaces it in grow() (release); thieves load it (acquire).
  std::atomic<ring*> ring_{nullptr};

  // Owner only: every ring ever used, the current one last; see "Growth and reclamation".
  std::vector<std::unique_ptr<ring>> rings_;
};

}  // namespace weft::detail

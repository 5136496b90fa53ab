// weft/detail/timer_heap.hpp — the loop's timers: a binary min-heap of intrusive nodes.
//
// Loop thread only. A node lives in the waiting coroutine's frame (no allocation per timer) and
// knows its index in the heap, so a cancelled timer is removed in O(log n). Equal deadlines fire
// in the order they were added (a sequence number breaks ties).
//
// Why a heap in user space: one kernel timeout (the wait in io_uring_enter) serves every timer, so
// a million sleepers cost a million 8-byte heap slots and no SQEs; see bench/timer_bench.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::detail {

struct timer_node {
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::size_t not_queued = static_cast<std::size_t>(-1);

  time_point deadline{};
  std::uint64_t sequence = 0;
  std::size_t heap_index = not_queued;
  void (*fire)(timer_node* self) noexcept = nullptr;

  [[nodiscard]] bool queued() const noexcept { return heap_index != not_queued; }
};

class timer_heap {
 public:
  void push(timer_node* node);
  void erase(timer_node* node) noexcept;
  [[nodiscard]] timer_node* top() const noexcept { return heap_.empty() ? nullptr : heap_[0]; }
  timer_node* pop() noexcept;
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }

 private:
  static bool earlier(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
  }
  void place(std::size_t index, timer_node* node) noexcept {
    heap_[index] = node;
    node->heap_index = index;
  }
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;

  std::vector<timer_node*> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace weft::detail

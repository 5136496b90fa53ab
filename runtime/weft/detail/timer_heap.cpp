#include <weft/detail/timer_heap.hpp>

namespace weft::detail {

void timer_heap::push(timer_node* node) {
  node->sequence = next_sequence_++;
  heap_.push_back(node);
  node->heap_index = heap_.size() - 1;
  sift_up(node->heap_index);
}

timer_node* timer_heap::pop() noexcept {
  if (heap_.empty()) return nullptr;
  timer_node* first = heap_[0];
  erase(first);
  return first;
}

void timer_heap::erase(timer_node* node) noexcept {
  std::size_t index = node->heap_index;
  node->heap_index = timer_node::not_queued;
  timer_node* last = heap_.back();
  heap_.pop_back();
  if (last == node) return;
  place(index, last);
  sift_up(index);
  sift_down(last->heap_index);
}

void timer_heap::sift_up(std::size_t index) noexcept {
  timer_node* node = heap_[index];
  while (index > 0) {
    std::size_t parent = (index - 1) / 2;
    if (!earlier(node, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, node);
}

void timer_heap::sift_down(std::size_t index) noexcept {
  timer_node* node = heap_[index];
  const std::size_t size = heap_.size();
  while (true) {
    std::size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], node)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, node);
}

}  // namespace weft::detail

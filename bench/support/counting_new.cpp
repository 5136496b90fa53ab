#include "counting_new.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> bytes{0};
std::atomic<std::size_t> allocations{0};
}  // namespace

namespace weft::bench {
std::size_t heap_bytes() noexcept {
  return bytes.load(std::memory_order_relaxed);
}
std::size_t heap_allocations() noexcept {
  return allocations.load(std::memory_order_relaxed);
}
}  // namespace weft::bench

void* operator new(std::size_t size) {
  bytes.fetch_add(size, std::memory_order_relaxed);
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc{};
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

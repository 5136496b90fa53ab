#include "refused_allocations.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t refuse_from = 0;  // 0: refuse nothing
thread_local std::size_t refused_count = 0;

void* allocate(std::size_t size) {
  if (refuse_from != 0 && size >= refuse_from) {
    ++refused_count;
    throw std::bad_alloc{};
  }
  if (void* p = std::malloc(size != 0 ? size : 1)) return p;
  throw std::bad_alloc{};
}
}  // namespace

namespace weft::test {
refused_allocations::refused_allocations(std::size_t min_size) noexcept : previous_(refuse_from) {
  refuse_from = min_size;
  refused_count = 0;
}
refused_allocations::~refused_allocations() {
  refuse_from = previous_;
}
std::size_t refused_allocations::refused() const noexcept {
  return refused_count;
}
}  // namespace weft::test

// The replacements (over-aligned forms keep the library's: they do not come through here).
void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

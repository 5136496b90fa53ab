#include "refused_allocations.hpp"

#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WEFT_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEFT_TEST_SANITIZED 1
#endif
#endif

namespace {
thread_local std::size_t refuse_from = 0;  // 0: refuse nothing
thread_local std::size_t refused_count = 0;
}  // namespace

#ifndef WEFT_TEST_SANITIZED
namespace {

// Throws when a refused_allocations on this thread refuses `size`.
void refuse_if_asked(std::size_t size) {
  if (refuse_from != 0 && size >= refuse_from) {
    ++refused_count;
    throw std::bad_alloc{};
  }
}

void* allocate(std::size_t size) {
  refuse_if_asked(size);
  if (void* p = std::malloc(size != 0 ? size : 1)) return p;
  throw std::bad_alloc{};
}
}  // namespace
#endif

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
bool refused_allocations::available() noexcept {
#ifdef WEFT_TEST_SANITIZED
  return false;
#else
  return true;
#endif
}
}  // namespace weft::test

#ifndef WEFT_TEST_SANITIZED
// The replacements: every form, so that no allocation goes through the C++ runtime's own (or a
// sanitizer's) operator new while its memory comes back through ours, or the other way round.
void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  refuse_if_asked(size);
  auto align = static_cast<std::size_t>(alignment);
  std::size_t rounded = size != 0 ? (size + align - 1) / align * align : align;
  if (void* p = std::aligned_alloc(align, rounded)) return p;
  throw std::bad_alloc{};
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return operator new(size, alignment);
}
void* operator new(std::size_t size, std::align_val_t alignment, const std::nothrow_t&) noexcept {
  try {
    return operator new(size, alignment);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t alignment,
                     const std::nothrow_t& tag) noexcept {
  return operator new(size, alignment, tag);
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
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
#endif  // WEFT_TEST_SANITIZED

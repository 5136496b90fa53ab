// Allocation failure on demand, for tests of what code does when memory runs out.
//
// The test binary replaces the global operator new (refused_allocations.cpp) with one that calls
// malloc, unless a refused_allocations object is alive on the calling thread and the request is at
// least its size: then it throws std::bad_alloc. Small allocations (exception objects, strings)
// still succeed, so that the failure can be reported. The replacement covers every form of new and
// delete, on malloc/aligned_alloc and free. It is left out of sanitizer builds (see available()).
#pragma once

#include <cstddef>

namespace weft::test {

class refused_allocations {
 public:
  /// On this thread, until destroyed, operator new refuses requests of `min_size` bytes or more.
  explicit refused_allocations(std::size_t min_size) noexcept;
  ~refused_allocations();
  refused_allocations(const refused_allocations&) = delete;
  refused_allocations& operator=(const refused_allocations&) = delete;

  /// How many requests were refused so far.
  [[nodiscard]] std::size_t refused() const noexcept;

  /// False in sanitizer builds: their runtimes define operator new themselves (ThreadSanitizer's
  /// cannot even be replaced), so nothing is refused there and tests using this must skip.
  [[nodiscard]] static bool available() noexcept;

 private:
  std::size_t previous_;
};

}  // namespace weft::test

// bench/support/counting_new.hpp — heap bytes allocated by this benchmark binary so far.
// Link bench/support/counting_new.cpp, which replaces operator new/delete, to use it.
#pragma once

#include <cstddef>

namespace weft::bench {

[[nodiscard]] std::size_t heap_bytes() noexcept;
[[nodiscard]] std::size_t heap_allocations() noexcept;

}  // namespace weft::bench

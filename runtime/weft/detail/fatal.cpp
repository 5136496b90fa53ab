#include <weft/detail/fatal.hpp>

#include <cstdio>
#include <cstdlib>

namespace weft::detail {

void fatal_message(std::string_view message) noexcept {
  std::fprintf(stderr, "weft: fatal: %.*s\n", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace weft::detail

#include <weft/executor.hpp>

namespace weft {
namespace {
thread_local executor* current = nullptr;
}  // namespace

executor* current_executor() noexcept {
  return current;
}

namespace detail {
executor_guard::executor_guard(executor* ex) noexcept : previous_(current) {
  current = ex;
}
executor_guard::~executor_guard() {
  current = previous_;
}
}  // namespace detail
}  // namespace weft

#include <weft/executor.hpp>

#include <weft/detail/task_name.hpp>

namespace weft {
namespace {
thread_local executor* current = nullptr;
}  // namespace

executor* current_executor() noexcept {
  return current;
}

namespace detail {
void run_item(work_item* item) noexcept {
  begin_step(item->task_name);
  item->run(item);
  begin_step(nullptr);
}

executor_guard::executor_guard(executor* ex) noexcept : previous_(current) {
  current = ex;
}
executor_guard::~executor_guard() {
  current = previous_;
}
}  // namespace detail
}  // namespace weft

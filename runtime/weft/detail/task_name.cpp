#include <weft/detail/task_name.hpp>

#include <string>

namespace weft::detail {
namespace {
thread_local const char* current = nullptr;
thread_local std::string retired;
}  // namespace

const char* current_task_name() noexcept {
  return current;
}
void set_current_task_name(const char* name) noexcept {
  current = name;
}

void retire_task_name(const char* name) noexcept {
  if (current != name || name == nullptr) return;
  try {
    retired.assign(name);
    current = retired.c_str();
  } catch (...) {
    current = nullptr;  // out of memory: lose the name rather than keep a dangling pointer
  }
}

}  // namespace weft::detail

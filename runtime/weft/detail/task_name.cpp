#include <weft/detail/task_name.hpp>

#include <string>

namespace weft::detail {
namespace {
thread_local const char* current = nullptr;
thread_local const char* step = nullptr;
// Copies of retired names, one per pointer above: a step may retire two different roots.
thread_local std::string retired_current;
thread_local std::string retired_step;
}  // namespace

const char* current_task_name() noexcept {
  return current;
}
void set_current_task_name(const char* name) noexcept {
  current = name;
}
const char* step_task_name() noexcept {
  return step;
}

void begin_step(const char* name) noexcept {
  current = name;
  step = name;
}

namespace {
/// Repoints `pointer` from `name` to a copy kept in `storage` (nullptr if even that fails: better
/// no name than a dangling one).
void retire_into(const char*& pointer, std::string& storage, const char* name) noexcept {
  if (pointer != name) return;
  try {
    storage.assign(name);
    pointer = storage.c_str();
  } catch (...) {
    pointer = nullptr;
  }
}
}  // namespace

void retire_task_name(const char* name) noexcept {
  if (name == nullptr) return;
  retire_into(current, retired_current, name);
  retire_into(step, retired_step, name);
}

}  // namespace weft::detail

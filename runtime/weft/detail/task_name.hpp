// weft/detail/task_name.hpp — which named task the calling thread is running, for log lines and
// the loop's slow-step warning.
//
// Names belong to root tasks (spawned with a name); every task they await inherits the pointer
// through promise_base. Executors set the current name before running a work item that carries one.
// The pointer stays valid while the step runs (the root frame is alive while any task under it
// runs); a root that finishes during the step calls retire_task_name so that the executor can
// still read the name after the step.
#pragma once

namespace weft::detail {

[[nodiscard]] const char* current_task_name() noexcept;
void set_current_task_name(const char* name) noexcept;

/// Called by a named root as it finishes: if `name` is the current one, switch to a thread-local
/// copy of it, which lives until the next call.
void retire_task_name(const char* name) noexcept;

}  // namespace weft::detail

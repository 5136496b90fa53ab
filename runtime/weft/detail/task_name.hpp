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

/// The task running now (log lines): changes within a step when a finishing child hands over
/// to its awaiter by symmetric transfer.
[[nodiscard]] const char* current_task_name() noexcept;
void set_current_task_name(const char* name) noexcept;

/// The task whose work item started the current step (slow-step warnings): fixed for the step.
[[nodiscard]] const char* step_task_name() noexcept;

/// Executors, as a step starts (or ends, with nullptr): sets both names.
void begin_step(const char* name) noexcept;

/// Called by a named root as it finishes: wherever `name` is the current or the step's name,
/// switch to a thread-local copy of it, which lives until the next call.
void retire_task_name(const char* name) noexcept;

}  // namespace weft::detail

// weft/spawn_detached.hpp — fire-and-forget, as an explicit, named choice.
//
// Prefer task_scope: its children are joined and their failures reported. spawn_detached is for
// work whose lifetime is deliberately unbounded by any caller (a background refresher that lives as
// long as its executor). The task owns everything it uses — pass arguments by value.
#pragma once

#include <weft/executor.hpp>
#include <weft/task.hpp>

#include <string>

namespace weft {

/// Starts `t` with no owner: on executor `on` (enqueued), or on the calling thread's executor, or
/// inline on a plain thread. Its stop token is the one bound with `with_stop_token`, else the
/// executor's (the io_loop requests stop on it at shutdown and waits for the task to end).
/// An exception escaping `t` (other than operation_cancelled) aborts the program with its message,
/// as an exception escaping a std::thread does: a detached failure has nobody to report to.
/// When the executor shuts down before `t` finishes, the executor's documented shutdown applies
/// (the io_loop requests stop and waits for `t` to end).
/// `name` appears in log lines and slow-step warnings.
void spawn_detached(task<void> t, executor* on = current_executor(), std::string name = {});

}  // namespace weft

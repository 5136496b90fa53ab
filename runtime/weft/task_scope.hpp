// weft/task_scope.hpp — structured concurrency: children that cannot outlive their scope.
//
// A task_scope (a "nursery") runs any number of child tasks concurrently and is joined once they
// are all done. It keeps the first failure of a child and asks the others to stop; join rethrows
// that failure. A scope destroyed while children still run aborts the program with a message naming
// it: the children hold references into the frame that owns the scope, so letting them run on would
// be a use-after-free.
//
// Threading model: spawn, request_stop and join may be called from any thread, children may finish
// on any thread; join has one awaiter at a time and resumes it on the executor it suspended on.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/child_group.hpp>
#include <weft/executor.hpp>
#include <weft/task.hpp>

#include <atomic>
#include <exception>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace weft {

class task_scope {
 public:
  /// A scope named `name` (the name appears in the misuse message).
  explicit task_scope(std::string name = "task_scope");

  /// A scope whose children are also stopped when `parent` is: pass the enclosing task's token
  /// (`co_await get_stop_token()`) so that cancelling the task cancels the children at once, not
  /// only once the task reaches join().
  task_scope(std::string name, std::stop_token parent);

  /// Aborts with a message when children still run, or when a child failed and join() never
  /// reported it.
  ~task_scope();

  task_scope(const task_scope&) = delete;
  task_scope& operator=(const task_scope&) = delete;

  /// Starts `child` concurrently, with the scope's stop token. It is enqueued on the calling
  /// thread's executor (it first runs after the caller next suspends), or started inline on a plain
  /// thread. `name` (default: the scope's name) appears in log lines and slow-step warnings.
  void spawn(task<void> child, std::string name = {});

  /// Starts `child` on executor `on` (e.g. a pool, or a stepped test scheduler).
  void spawn(task<void> child, executor& on, std::string name = {});

  /// `co_await scope.join()`
  ///   Yields: nothing once every child has finished; rethrows the first child failure.
  ///     A child that ended with operation_cancelled did not fail: it was asked to stop (by the
  ///     scope, or through a token bound to it) and did.
  ///   Resumes on: the executor the awaiter was running on when it suspended.
  ///   Cancellation: a stop request on the awaiter is forwarded to the children, and join keeps
  ///     waiting until they have all finished — children never outlive the scope.
  /// After join returns, the scope is empty and may be used again.
  class join_awaiter {
   public:
    explicit join_awaiter(task_scope& scope) noexcept
        : scope_(scope), inner_(scope.group_.join()) {}
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      return inner_.await_suspend(waiting);
    }
    void await_resume() {
      inner_.await_resume();
      scope_.rethrow_failure();
    }

   private:
    task_scope& scope_;
    detail::child_group::join_awaiter inner_;
  };
  [[nodiscard]] join_awaiter join() noexcept { return join_awaiter{*this}; }

  /// Asks every child to stop (they see it through their stop tokens).
  void request_stop() noexcept { group_.request_stop(); }
  [[nodiscard]] std::stop_token get_stop_token() const noexcept { return group_.get_token(); }

  /// Children spawned and not yet finished (outside join).
  [[nodiscard]] std::size_t running() const noexcept { return group_.running(); }
  [[nodiscard]] std::string_view name() const noexcept { return name_; }

 private:
  static detail::driver run_child(task<void> child, task_scope* scope);
  void start(task<void> child, executor* on, std::string name);
  void record_failure(std::exception_ptr error) noexcept;
  void rethrow_failure();

  struct forward_stop {
    task_scope* scope;
    void operator()() const noexcept { scope->request_stop(); }
  };

  std::string name_;
  detail::child_group group_;
  std::optional<std::stop_callback<forward_stop>> parent_link_;
  // false until the first failing child claims the right to store `failure_`; cleared by join.
  std::atomic<bool> failed_{false};
  std::exception_ptr failure_;  // written once by the claiming child, read after join
};

}  // namespace weft

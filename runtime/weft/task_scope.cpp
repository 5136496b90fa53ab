#include <weft/task_scope.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

task_scope::task_scope(std::string name) : name_(std::move(name)) {}

task_scope::task_scope(std::string name, std::stop_token parent) : name_(std::move(name)) {
  if (parent.stop_possible()) parent_link_.emplace(std::move(parent), forward_stop{this});
}

task_scope::~task_scope() {
  if (std::size_t children = group_.running(); children != 0)
    detail::fatal(
        "task_scope '{}' destroyed while {} child task(s) still run; co_await scope.join() before "
        "the scope goes out of scope",
        name_, children);
  if (failed_.load(std::memory_order_acquire))
    detail::fatal("task_scope '{}' destroyed without join(): a child's failure was never reported",
                  name_);
}

void task_scope::spawn(task<void> child, std::string name) {
  start(std::move(child), current_executor(), std::move(name));
}

void task_scope::spawn(task<void> child, executor& on, std::string name) {
  start(std::move(child), &on, std::move(name));
}

void task_scope::start(task<void> child, executor* on, std::string name) {
  WEFT_CHECK(child.valid(), "task_scope '{}': spawn of an empty task", name_);
  detail::driver runner = run_child(std::move(child), this);
  // The scope outlives its children, so they can borrow its name.
  if (name.empty())
    group_.start(std::move(runner).with_task_name(name_.c_str()), on);
  else
    group_.start(std::move(runner).named(std::move(name)), on);
}

detail::driver task_scope::run_child(task<void> child, task_scope* scope) {
  try {
    co_await std::move(child);
  } catch (const operation_cancelled&) {
    // Someone asked the child to stop (the scope, or a token bound to the child): ending early is
    // the child doing as told, not a failure.
  } catch (...) {
    scope->record_failure(std::current_exception());
  }
}

void task_scope::record_failure(std::exception_ptr error) noexcept {
  if (!failed_.exchange(true, std::memory_order_acq_rel)) {
    failure_ = std::move(error);
    request_stop();
  }
}

void task_scope::rethrow_failure() {
  if (!failed_.load(std::memory_order_acquire)) return;
  std::exception_ptr error = std::exchange(failure_, nullptr);
  failed_.store(false, std::memory_order_release);
  std::rethrow_exception(error);
}

}  // namespace weft

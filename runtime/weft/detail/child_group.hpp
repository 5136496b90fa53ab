// weft/detail/child_group.hpp — children running concurrently, one awaiter waiting for all of them.
//
// The common core of when_all, when_any and task_scope.
//
// Threading model: children may finish on any thread (a child can move to the pool). The group's
// counter is the only shared state they touch; the awaiter is resumed on the executor it was
// suspended on.
//
// Wake-up protocol:
//   1. `pending_` starts at 1: the awaiter's own reference, held until it suspends in join.
//   2. add_child() adds one before a child starts; the child's driver gives it back in
//   child_done().
//   3. join's await_suspend records the awaiter, then gives back the awaiter's reference. Whoever
//      brings `pending_` to zero resumes the awaiter: join itself (it does not suspend) or the last
//      child (by symmetric transfer when on the awaiter's executor, by enqueueing it there
//      otherwise).
//   4. The awaiter's reference is taken again when join resumes, so a group can be joined
//   repeatedly.
//
// Stop: the group owns a stop_source whose token every child gets; join links the awaiter's own
// token to it, so cancelling the awaiter cancels the children (which join still waits for).
#pragma once

#include <weft/detail/driver.hpp>
#include <weft/detail/task_name.hpp>
#include <weft/executor.hpp>

#include <atomic>
#include <cstddef>
#include <optional>
#include <stop_token>

namespace weft::detail {

class child_group final : public completion_sink {
 public:
  child_group() = default;
  child_group(const child_group&) = delete;
  child_group& operator=(const child_group&) = delete;

  /// Starts `child` with the group's stop token, inline (`on == nullptr`) or on executor `on`.
  void start(driver&& child, executor* on) noexcept {
    pending_.fetch_add(1, std::memory_order_relaxed);
    std::move(child).start(this, stop_.get_token(), on);
  }

  void request_stop() noexcept { stop_.request_stop(); }
  [[nodiscard]] bool stop_requested() const noexcept { return stop_.stop_requested(); }
  [[nodiscard]] std::stop_token get_token() const noexcept { return stop_.get_token(); }

  /// Children started and not yet finished. Only meaningful outside join.
  [[nodiscard]] std::size_t running() const noexcept {
    return pending_.load(std::memory_order_acquire) - 1;
  }

  /// Links an outside token to the group: a stop request on it becomes one on the group.
  /// Idempotent until the next join completes.
  void link(const std::stop_token& token) {
    if (!parent_link_ && token.stop_possible()) parent_link_.emplace(token, forward_stop{this});
  }

  /// `co_await group.join()`: resumes when every child has finished. Links the awaiter's stop
  /// token.
  class join_awaiter {
   public:
    explicit join_awaiter(child_group& group) noexcept : group_(group) {}
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      group_.link(stop_token_of(waiting));
      group_.joiner_.set(waiting);
      group_.joiner_home_ = current_executor();
      // Step 3: give back the awaiter's reference; zero means every child is already done.
      return group_.pending_.fetch_sub(1, std::memory_order_acq_rel) != 1;
    }
    void await_resume() noexcept {
      group_.parent_link_.reset();
      group_.pending_.store(1, std::memory_order_relaxed);  // step 4
    }

   private:
    child_group& group_;
  };
  join_awaiter join() noexcept { return join_awaiter{*this}; }

  std::coroutine_handle<> child_done() noexcept override {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1) return std::noop_coroutine();
    executor* home = joiner_home_;
    if (home == nullptr || home == current_executor()) {
      // The awaiter continues in this same step: log lines from here on are its, not the child's.
      set_current_task_name(joiner_.task_name);
      return joiner_.handle;
    }
    home->enqueue(&joiner_);  // the group may be gone once this returns
    return std::noop_coroutine();
  }

 private:
  struct forward_stop {
    child_group* group;
    void operator()() const noexcept { group->request_stop(); }
  };

  // 1 (the awaiter's reference, held outside join) + the number of children still running.
  // Children decrement it from any thread; add_child increments it from the thread that spawns.
  std::atomic<std::size_t> pending_{1};
  std::stop_source stop_;
  std::optional<std::stop_callback<forward_stop>> parent_link_;
  resume_item joiner_;
  executor* joiner_home_ = nullptr;
};

}  // namespace weft::detail

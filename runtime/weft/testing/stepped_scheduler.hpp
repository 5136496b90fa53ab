// weft/testing/stepped_scheduler.hpp — an executor that runs one step only when a test says so.
//
// Work enqueued on it (spawned children, coroutines woken by primitives, `co_await yield()`) waits
// in a ready list until the test runs it: the oldest (`step()`), a chosen one (`step(i)`), all of
// them in order or shuffled by a seed. Tests of primitives and scopes use it to force the
// interleavings they care about, deterministically, on one thread.
//
// Threading model: enqueue may be called from any thread (a pool worker waking a coroutine);
// stepping is done by the test's thread, which is marked as running this executor during each step.
#pragma once

#include <weft/detail/driver.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/executor.hpp>
#include <weft/task.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <type_traits>

namespace weft::testing {

class stepped_scheduler final : public executor {
 public:
  stepped_scheduler() = default;
  stepped_scheduler(const stepped_scheduler&) = delete;
  stepped_scheduler& operator=(const stepped_scheduler&) = delete;
  /// Aborts when work is still ready: its coroutine frames would leak.
  ~stepped_scheduler();

  void enqueue(work_item* item) noexcept override;
  [[nodiscard]] std::string_view name() const noexcept override { return "stepped"; }

  /// Number of items ready to run.
  [[nodiscard]] std::size_t ready() const;

  /// Runs the oldest ready item. Returns false when nothing was ready.
  bool step();

  /// Runs the `index`-th ready item (0 is the oldest); aborts when there is no such item.
  void step(std::size_t index);

  /// Runs items, oldest first, until none is ready. Returns how many ran.
  std::size_t run_until_idle();

  /// Runs items in an order drawn from `seed` until none is ready. Returns how many ran.
  std::size_t run_until_idle_shuffled(std::uint64_t seed);

  /// A task started on this scheduler: poll `done()`, then `get()` its result.
  template <class T>
  class handle {
   public:
    [[nodiscard]] bool done() const noexcept { return state_->done; }
    /// The task's value, or rethrows its exception. Aborts if the task has not finished.
    T get() {
      WEFT_CHECK(state_->done, "stepped_scheduler::handle::get() before the task finished");
      if constexpr (std::is_void_v<T>)
        (void)state_->result.take();
      else
        return state_->result.take();
    }

   private:
    friend stepped_scheduler;
    struct state final : detail::completion_sink {
      detail::outcome<T> result;
      bool done = false;
      std::coroutine_handle<> child_done() noexcept override {
        done = true;
        return std::noop_coroutine();
      }
    };
    std::shared_ptr<state> state_ = std::make_shared<state>();
  };

  /// Enqueues `t` to start at a later step, with `token` as its stop token unless it bound one.
  template <class T>
  handle<T> start(task<T> t, std::stop_token token = {}) {
    handle<T> started;
    body(std::move(t), started.state_).start(started.state_.get(), std::move(token), this);
    return started;
  }

 private:
  template <class T>
  static detail::driver body(task<T> t, std::shared_ptr<typename handle<T>::state> state) {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(t);
        state->result.set_value({});
      } else {
        state->result.set_value(co_await std::move(t));
      }
    } catch (...) {
      state->result.set_exception(std::current_exception());
    }
  }

  void run(work_item* item);

  mutable std::mutex mutex_;
  std::deque<work_item*> ready_;
};

}  // namespace weft::testing

// weft/detail/driver.hpp — the frame that runs a child on behalf of a runner.
//
// sync_wait, when_all, when_any, task_scope and spawn_detached all run children the same way: a
// `driver` coroutine awaits the child task, stores its outcome, and at its end destroys its own
// frame and then tells its `completion_sink`, which answers with the coroutine to transfer to (the
// runner's awaiter when this was the last child, otherwise nothing). Destroying the frame before
// reporting means that when the runner resumes, no child frame is left anywhere.
#pragma once

#include <weft/detail/fatal.hpp>
#include <weft/detail/promise_base.hpp>
#include <weft/executor.hpp>

#include <weft/detail/task_name.hpp>

#include <coroutine>
#include <string>
#include <utility>

namespace weft::detail {

class completion_sink {
 public:
  /// A child finished (its frame is already destroyed). Returns the coroutine to resume next on
  /// this thread, or std::noop_coroutine(). Called on the thread that ran the child's last step.
  virtual std::coroutine_handle<> child_done() noexcept = 0;

 protected:
  ~completion_sink() = default;
};

class [[nodiscard]] driver {
 public:
  class promise_type : public promise_base {
   public:
    driver get_return_object() noexcept {
      return driver{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }

    struct final_awaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) noexcept {
        if (!self.promise().name_storage_.empty())
          retire_task_name(self.promise().name_storage_.c_str());
        completion_sink* sink = self.promise().sink_;
        self.destroy();
        return sink != nullptr ? sink->child_done() : std::noop_coroutine();
      }
      void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() const noexcept { return {}; }

    void return_void() const noexcept {}
    // Driver bodies catch everything the child throws; anything escaping is a bug in weft itself.
    void unhandled_exception() const noexcept { fatal("exception escaped a weft driver frame"); }

   private:
    friend driver;
    completion_sink* sink_ = nullptr;
    resume_item start_node_;
    std::string name_storage_;  // set when the root is spawned with a name of its own
  };

  driver(driver&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  driver& operator=(driver&&) = delete;
  driver(const driver&) = delete;
  ~driver() {
    if (handle_) handle_.destroy();  // never started
  }

  /// Starts the child: inline on this thread when `on` is nullptr, else enqueued on `on`. The frame
  /// then owns itself, reports to `sink` and destroys itself when done.
  void start(completion_sink* sink, std::stop_token token, executor* on) && noexcept {
    promise_type& promise = handle_.promise();
    promise.sink_ = sink;
    promise.bind_stop_token(std::move(token));
    auto handle = std::exchange(handle_, {});
    if (on == nullptr) {
      handle.resume();
    } else {
      promise.start_node_.set(handle);
      on->enqueue(&promise.start_node_);
    }
  }

  /// Borrows `name` (which must outlive the child) as the child's task name.
  driver&& with_task_name(const char* name) && noexcept {
    handle_.promise().set_task_name(name);
    return std::move(*this);
  }

  /// Gives the root a name of its own (copied), shown in log lines and slow-step warnings.
  driver&& named(std::string name) && {
    if (!name.empty()) {
      handle_.promise().name_storage_ = std::move(name);
      handle_.promise().set_task_name(handle_.promise().name_storage_.c_str());
    }
    return std::move(*this);
  }

 private:
  explicit driver(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

}  // namespace weft::detail

// weft/executor.hpp — where coroutines run, and how any thread hands one back to its home.
//
// Threading model: an executor owns one or more threads that run `work_item`s (the io_uring loop
// owns one, the thread pool several, `sync_wait` borrows the calling thread, the stepped test
// scheduler runs items only when a test says so). While a thread runs an executor's work,
// `current_executor()` on that thread returns it; on a plain thread it returns nullptr.
//
// Wake-up protocol (the seam every primitive uses):
//   1. A coroutine about to suspend records its home: `current_executor()` at that moment.
//   2. Whoever completes the wait, on whatever thread, calls `home->enqueue(item)`, where `item`
//   lives in
//      the suspended coroutine's frame and resumes it when run.
//   3. `enqueue` never runs the item inline: the waker's stack never grows into the woken
//   coroutine,
//      and a loop coroutine never runs on a pool thread. When the home is nullptr (a coroutine
//      driven by hand, outside any executor) the waker resumes it inline, as nothing else could.
//   4. After `enqueue` returns, the waker must not touch the item: it may already have run and its
//      frame may be gone.
#pragma once

#include <coroutine>
#include <stop_token>
#include <string_view>
#include <type_traits>

namespace weft {

namespace detail {
class completion_sink;
}  // namespace detail

/// An intrusive unit of work: the executor links it into its queue and calls `run` once. It is
/// owned by whoever enqueued it (usually an awaiter inside a suspended coroutine frame), never by
/// the executor, so enqueueing never allocates.
struct work_item {
  work_item* next = nullptr;
  void (*run)(work_item* self) noexcept = nullptr;
  /// The name of the task this item resumes, if it has one (see detail/task_name.hpp).
  const char* task_name = nullptr;
};

/// A work item that resumes a coroutine.
struct resume_item : work_item {
  std::coroutine_handle<> handle;

  resume_item() noexcept {
    run = [](work_item* self) noexcept { static_cast<resume_item*>(self)->handle.resume(); };
  }

  /// Points the item at `waiting`, carrying its task name when it is a weft coroutine.
  template <class Promise>
  void set(std::coroutine_handle<Promise> waiting) noexcept;
};

/// Something that runs work items on its own thread(s).
class executor {
 public:
  /// Queues `item` to run on this executor. Callable from any thread; never runs `item` inline.
  virtual void enqueue(work_item* item) noexcept = 0;

  /// A short name for logs and error messages ("loop", "pool", "sync_wait").
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  /// Detached work (spawn_detached) started on this executor gets this stop token unless it bound
  /// one; an executor that stops its detached work at shutdown returns its own.
  [[nodiscard]] virtual std::stop_token detached_stop_token() const noexcept { return {}; }

  /// Called as detached work starts on this executor; the returned sink, if any, is told when it
  /// ends, so the executor can wait for detached work before it shuts down.
  [[nodiscard]] virtual detail::completion_sink* adopt_detached() noexcept { return nullptr; }

 protected:
  executor() = default;
  ~executor() = default;
};

/// The executor whose work the calling thread is running now, or nullptr on a plain thread.
[[nodiscard]] executor* current_executor() noexcept;

namespace detail {
class promise_base;
const char* task_name_of_promise(const promise_base& promise) noexcept;
}  // namespace detail

template <class Promise>
void resume_item::set(std::coroutine_handle<Promise> waiting) noexcept {
  handle = waiting;
  if constexpr (std::is_base_of_v<detail::promise_base, Promise>)
    task_name = detail::task_name_of_promise(waiting.promise());
}

/// Resumes `item`'s coroutine on `home`: enqueued there, or inline when `home` is nullptr.
/// Step 2 of the wake-up protocol above.
inline void resume_on(executor* home, resume_item& item) noexcept {
  if (home != nullptr)
    home->enqueue(&item);
  else
    item.handle.resume();
}

namespace detail {

/// Runs `item` as executor work: the thread's current task name is the item's while it runs.
void run_item(work_item* item) noexcept;

/// Marks the calling thread as running `ex`'s work until destroyed; restores the previous executor.
class executor_guard {
 public:
  explicit executor_guard(executor* ex) noexcept;
  ~executor_guard();
  executor_guard(const executor_guard&) = delete;
  executor_guard& operator=(const executor_guard&) = delete;

 private:
  executor* previous_;
};

}  // namespace detail
}  // namespace weft

// weft/thread_pool.hpp — a work-stealing pool for CPU-bound work, reachable from the loop, from
// pool coroutines and from plain threads.
//
// Threading model: N worker threads (named "<name>-<i>", visible in weft::log lines and top -H; all
// signals blocked), each owning a work-stealing deque (detail/work_stealing_deque.hpp). Work a
// worker creates (spawned tasks, resumed pool coroutines) goes to the bottom of its own deque, and
// it runs the newest first (that bottom is the LIFO slot: a task that just forked is continued at
// once). Work from outside the pool goes to a shared injection queue (mutex + intrusive FIFO),
// where an offload that has not started can still be found and removed when it is cancelled. Idle
// workers look in their deque, then the injection queue (also every 61 local items, so outside work
// cannot starve), then steal from the other workers, starting at a random one.
//
// Parking protocol (no lost wake-up, no thundering herd):
//   1. An idle worker spins (searching) for options.spin_before_park, looking for work, so
//   hand-offs
//      that follow each other closely never pay the ~25 µs of waking a halted core.
//   2. To park, it stores `parked` in its state word, increments parked_ and then decrements
//      searching_ (all seq_cst), and looks for work once more before it futex-waits on the word.
//   3. A producer publishes its item (seq_cst), then wakes exactly one parked worker (CAS
//      parked → notified, then notify) — and only if no worker is searching: a searcher will find
//      it.
//   Either the producer sees the parked worker, or the worker's last look (step 2) sees the item.
//
// Shutdown (stop() or the destructor): queued work runs. stop() stops accepting new work from
// outside (submit/offload/spawn/schedule then throw weft::pool_stopped), wakes every worker, and
// the workers keep running until every deque and the injection queue are empty and all of them are
// idle — work spawned by running work still runs. Then they exit and stop() joins them; called from
// a worker itself, stop() only requests it (no self-join) and the destructor joins.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/detail/work_stealing_deque.hpp>
#include <weft/executor.hpp>
#include <weft/pool_future.hpp>
#include <weft/task.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// Thrown when work is given to a pool that has been stopped.
class pool_stopped : public std::runtime_error {
 public:
  explicit pool_stopped(const std::string& pool)
      : std::runtime_error("weft: thread pool '" + pool + "' is stopped and takes no new work") {}
};

class thread_pool final : public executor {
 public:
  struct options {
    /// Worker threads; 0 means std::thread::hardware_concurrency().
    std::size_t workers = 0;
    /// How long an idle worker keeps looking for work before it parks (see the protocol above).
    std::chrono::microseconds spin_before_park{50};
    /// Worker thread names are "<name>-<index>".
    std::string name = "pool";
  };

  thread_pool();
  explicit thread_pool(options opts);
  /// stop(), then joins the workers. Aborts when called on one of this pool's own workers.
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Stops taking new work from outside and lets the workers finish what is queued, then joins
  /// them — unless called from one of them, which only requests it. Any thread; idempotent.
  void stop();

  [[nodiscard]] std::size_t size() const noexcept { return workers_.size(); }

  /// `co_await pool.schedule()`
  ///   Yields: nothing; throws pool_stopped if the pool no longer takes work.
  ///   Resumes on: a worker of this pool.
  ///   Cancellation: none; the hop always completes.
  class schedule_awaiter {
   public:
    explicit schedule_awaiter(thread_pool& pool) noexcept : pool_(pool) {}
    bool await_ready() const noexcept { return false; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      item_.set(waiting);
      // Once submitted, another worker may already be running (and finishing) this coroutine:
      // touch nothing of the frame after a successful submit.
      if (pool_.submit_item(&item_)) return true;
      rejected_ = true;
      return false;
    }
    void await_resume() const {
      if (rejected_) throw pool_stopped{pool_.options_.name};
    }

   private:
    thread_pool& pool_;
    resume_item item_;
    bool rejected_ = false;
  };
  [[nodiscard]] schedule_awaiter schedule() noexcept { return schedule_awaiter{*this}; }

  /// A task that runs `t` on this pool and then resumes its awaiter where the awaiter was (the loop
  /// for a loop coroutine, the pool for a pool coroutine). Fork-join: inside the pool,
  /// `co_await when_all(pool.spawn(left()), right())` runs `left` on whichever worker steals it.
  template <class T>
  [[nodiscard]] task<T> spawn(task<T> t) {
    co_await schedule();
    co_return co_await std::move(t);
  }

  /// From any thread (a plain one included): runs `fn()` on the pool. The future's get() blocks for
  /// the result; co_await-ing it suspends instead. Throws pool_stopped if the pool is stopped.
  template <class F>
  [[nodiscard]] pool_future<std::invoke_result_t<std::decay_t<F>&>> submit(F&& fn) {
    using result_type = std::invoke_result_t<std::decay_t<F>&>;
    struct job final : detail::future_state<result_type> {
      explicit job(F&& f) : fn(std::forward<F>(f)) {}
      std::decay_t<F> fn;
      std::shared_ptr<job> keep_alive;  // the pool's reference until the job has run
    };
    auto state = std::make_shared<job>(std::forward<F>(fn));
    state->keep_alive = state;
    state->run = [](work_item* self) noexcept {
      auto* me = static_cast<job*>(self);
      std::shared_ptr<job> owner = std::move(me->keep_alive);
      try {
        if constexpr (std::is_void_v<result_type>) {
          me->fn();
          me->result.set_value({});
        } else {
          me->result.set_value(me->fn());
        }
      } catch (...) {
        me->result.set_exception(std::current_exception());
      }
      me->publish();
    };
    if (!submit_item(state.get())) {
      state->keep_alive.reset();
      throw pool_stopped{options_.name};
    }
    return pool_future<result_type>{std::move(state)};
  }

  /// Applies `fn` to every element of `inputs` on the pool, concurrently, and returns the results
  /// in input order (blocking the calling thread, like Python's Executor.map). Rethrows the first
  /// exception in input order, after every call has finished.
  template <class F, class Range>
  auto map(F fn, const Range& inputs) {
    using input_type = std::decay_t<decltype(*std::begin(inputs))>;
    using result_type = std::invoke_result_t<F&, const input_type&>;
    std::vector<pool_future<result_type>> futures;
    for (const auto& input : inputs)
      futures.push_back(submit([fn, input]() mutable { return fn(std::as_const(input)); }));
    std::vector<result_type> results;
    results.reserve(futures.size());
    std::exception_ptr first_error;
    for (auto& future : futures) {
      try {
        results.push_back(future.get());
      } catch (...) {
        if (!first_error) first_error = std::current_exception();
      }
    }
    if (first_error) std::rethrow_exception(first_error);
    return results;
  }

  // executor: resumes pool coroutines (from any thread) and runs spawned work.
  void enqueue(work_item* item) noexcept override;
  [[nodiscard]] std::string_view name() const noexcept override { return options_.name; }

  /// Queues `item` as new work from outside: false when the pool is stopped. Any thread.
  bool submit_item(work_item* item) noexcept;
  /// Removes an item queued by submit_item that no worker has taken yet. Any thread.
  bool withdraw(work_item* item) noexcept;

  /// The pool whose worker is calling, or nullptr.
  [[nodiscard]] static thread_pool* current() noexcept;

 private:
  struct worker {
    explicit worker(std::size_t i) : index(i) {}
    std::size_t index;
    detail::work_stealing_deque deque;
    // The worker's state word:
    //   running  — looking for or running work; stored by the worker itself.
    //   parked   — futex-waiting (or about to); stored by the worker itself (step 2).
    //   notified — a producer or stop() CASed parked → notified and will notify the futex.
    std::atomic<std::uint32_t> state{running};
    std::uint64_t random = 0;  // for the choice of victims; the worker's own
    std::thread thread;
  };
  static constexpr std::uint32_t running = 0;
  static constexpr std::uint32_t parked = 1;
  static constexpr std::uint32_t notified = 2;

  void worker_main(worker& self);
  work_item* find_work(worker& self, std::uint64_t& ticks);
  work_item* take_injected() noexcept;
  void push_injected_locked(work_item* item) noexcept;
  work_item* steal_from_others(worker& self);
  bool has_work_anywhere() const noexcept;
  bool park(worker& self);
  void wake_one() noexcept;
  void wake_all() noexcept;
  [[nodiscard]] bool on_own_worker() const noexcept;

  options options_;
  std::vector<std::unique_ptr<worker>> workers_;

  // The injection queue: intrusive FIFO under inject_mutex_, plus a count readable without it.
  mutable std::mutex inject_mutex_;
  work_item* inject_head_ = nullptr;
  work_item* inject_tail_ = nullptr;
  std::atomic<std::size_t> injected_{0};
  bool accepting_ = true;  // under inject_mutex_: false once stop() began
  bool finished_ = false;  // under inject_mutex_: every worker has exited or is exiting

  std::atomic<std::size_t> searching_{0};  // workers spinning for work (step 1)
  std::atomic<std::size_t> parked_{0};     // workers in step 2 or asleep
  std::atomic<bool> stopping_{false};
  std::atomic<bool> exit_{false};  // workers leave their loop once they see it
  std::mutex join_mutex_;
  bool joined_ = false;
};

/// The process-wide default pool (hardware_concurrency workers, named "pool"), created on first use
/// and stopped and joined at exit. Nothing in weft requires it: pass your own pool where you can.
thread_pool& default_pool();

}  // namespace weft

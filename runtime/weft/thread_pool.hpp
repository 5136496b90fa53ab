// weft/thread_pool.hpp — a work-stealing pool for CPU-bound work, reachable from the loop, from
// pool coroutines and from plain threads.
//
// Threading model: N worker threads (named "<name>-<i>", visible in weft::log lines and top -H; all
// signals blocked), each owning a work-stealing deque (detail/work_stealing_deque.hpp). Work a
// worker creates (spawned tasks, resumed pool coroutines) goes to the bottom of its own deque, and
// it runs the newest first (that bottom is the LIFO slot: a task that just forked is continued at
// once). Work from outside the pool arrives two ways:
//   * new work (submit, offload, spawn, schedule: submit_item) goes to a shared injection queue
//     (mutex + intrusive FIFO), where an offload that has not started can still be found and
//     removed when it is cancelled;
//   * a pool coroutine resumed by another thread (a channel value from the loop, an event set by a
//     plain thread: enqueue) goes to a lock-free inbox (detail/mpsc_inbox.hpp) — one CAS for the
//     waker, one exchange for the worker, no lock whose cache line both must own in turn. A worker
//     takes the inbox whole: it runs the oldest item and pushes the rest onto its deque, where the
//     other workers can steal them.
// Idle workers look in their deque, then the inbox and the injection queue (also every 61 local
// items, injection queue first, so outside work cannot starve), then steal from the other workers,
// starting at a random one.
//
// Parking protocol (no lost wake-up, no thundering herd):
//   1. A worker that runs out of work spins (searching), looking for work, so hand-offs that
//      follow each other closely (a ping-pong over channels, an offload per request) never pay the
//      tens of microseconds of waking a parked thread. It spins for options.spin_before_park, or
//      twice that when its last spin found work, yielding its CPU now and then (the spin policy,
//      weft/waker.hpp). Only a worker that just ran out of work (or was just woken) spins, once:
//      an idle pool does not. A searcher that sees the inbox non-empty takes it at once.
//   2. To park, it stores `parked` in its state word, increments parked_ and then decrements
//      searching_ (all seq_cst), and looks for work once more before it futex-waits on the word.
//   3. A producer publishes its item (seq_cst: the inbox CAS, the injection count, or the deque
//      push plus a fence), then wakes exactly one parked worker (CAS parked → notified, then
//      notify) — and only if no worker is searching: a searcher will find it.
//   Either the producer sees the parked worker, or the worker's last look (step 2) sees the item.
//
// Shutdown (stop() or the destructor): queued work runs. stop() stops accepting new work from
// outside (submit/offload/spawn/schedule then throw weft::pool_stopped), wakes every worker, and
// the workers keep running until every deque, the injection queue and the inbox are empty and all
// of them are idle — work spawned by running work still runs. Then:
//   1. The last worker to park sees everything empty and sets exit_ (under inject_mutex_); every
//      worker leaves its loop and stop() joins them. Called from a worker itself, stop() only
//      requests it (no self-join) and the destructor joins.
//   2. A pool coroutine resumed from outside after that (enqueue sees exit_ after its push) has no
//      worker left to run it: the enqueuing thread runs it inline and logs an error. An item
//      pushed just as the last worker decided to exit is run the same way by the joining thread.
//   3. The destructor waits until no other thread is inside enqueue() or submit_item() (they
//      touch the pool after publishing an item that may already have run), then frees the pool.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/mpsc_inbox.hpp>
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
    /// How long a worker that ran out of work keeps looking for more before it parks: the base
    /// window of the spin policy (weft/waker.hpp; see the protocol above). Zero parks at once.
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
  work_item* take_from_outside(worker& self, bool injected_first);
  work_item* take_inbox(worker& self, bool& queued_more);
  void wake_more() noexcept;
  work_item* take_injected() noexcept;
  void run_orphans() noexcept;
  void push_injected_locked(work_item* item) noexcept;
  work_item* steal_from_others(worker& self);
  bool has_work_anywhere() const noexcept;
  /// Steps 1 and 2 of the parking protocol. False when the worker must exit; `found` is work it
  /// took from the inbox while searching (to run next), else nullptr.
  bool park(worker& self, work_item*& found);
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

  // Pool coroutines resumed from outside the pool (enqueue from a thread that is not a worker).
  // A cache line of its own: wakers CAS it, searching workers spin reading it.
  alignas(64) detail::mpsc_inbox inbox_;

  // Read by every producer (wake_one, enqueue), written only when a worker parks or unparks and
  // at shutdown: in the steady state of busy hand-offs the line stays in every core's cache.
  alignas(64) std::atomic<std::size_t> parked_{0};  // workers in step 2 or asleep
  std::atomic<bool> stopping_{false};
  // Workers leave their loop once they see it. Set once, by the last worker to park after
  // stop(), under inject_mutex_; a producer that sees it after publishing runs its item itself.
  std::atomic<bool> exit_{false};

  // Workers spinning for work (step 1). Written by every worker as it starts and stops searching;
  // producers read it only when some worker is parked (wake_one checks parked_ first), so a worker
  // that searches and finds work without anyone parking keeps this line to itself.
  alignas(64) std::atomic<std::size_t> searching_{0};

  // Threads inside enqueue() or submit_item() from outside the pool, between their publishing an
  // item and their last access to the pool; the destructor waits for zero (shutdown step 3).
  // Its own line: only those threads write it.
  alignas(64) std::atomic<std::uint32_t> outside_producers_{0};

  std::mutex join_mutex_;
  bool joined_ = false;
};

/// The process-wide default pool (hardware_concurrency workers, named "pool"), created on first use
/// and stopped and joined at exit. Nothing in weft requires it: pass your own pool where you can.
thread_pool& default_pool();

}  // namespace weft

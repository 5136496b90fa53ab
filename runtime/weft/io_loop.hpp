// weft/io_loop.hpp — the scheduler on one thread, around one io_uring ring.
//
// Threading model: one thread — the one that calls run() — runs every coroutine that lives on the
// loop and is the only thread that touches the ring (the ring is set up SINGLE_ISSUER where the
// kernel allows). Other threads reach the loop only through enqueue()/post()/schedule()/stop(),
// which go through a lock-free inbox.
//
// One iteration:
//   1. take what other threads enqueued (the inbox) into the local ready queue;
//   2. run the ready work that was there at the start of the batch (each step timed: a step longer
//      than options.slow_step logs a warning naming the task);
//   3. fire due timers (a user-space heap; the kernel sees one timeout, in the wait below);
//   4. if work is ready, submit SQEs and reap CQEs without waiting; otherwise submit and wait in
//   one
//      io_uring_enter until a CQE, the next timer deadline, or a wake-up. Completions only queue
//      their coroutines: no user code runs while CQEs are reaped.
//
// Wake-up protocol (other thread → sleeping loop), on `wake_state_`:
//   1. The loop, before blocking, stores `sleeping`, then checks the inbox again (both seq_cst); if
//      it is not empty it stores `running` and does not block.
//   2. A producer pushes to the inbox (seq_cst), then, only if it sees `sleeping`, CASes it to
//      `woken` and writes the eventfd whose read is always armed on the ring. One write per sleep;
//      none at all while the loop is awake.
//   3. The loop, back from the wait, stores `running` and drains the inbox.
//   Either the loop sees the item in step 1 or the producer sees `sleeping` in step 2, so no
//   wake-up is lost.
//
// Shutdown steps (end of run(), and the destructor):
//   1. The main task has finished. Stop is requested on the token of every detached task on the
//      loop (spawn_detached).
//   2. The loop keeps running until no detached task, operation or timer is left — each operation
//      ends when its CQE arrives; a cancel is only a request — or until options.drain_limit passes,
//      in which case it logs what it abandons: stuck frames are leaked, never freed under the
//      kernel.
//   3. The destructor drains once more, cancels the wake-up poll and waits for its CQE, waits for
//      any other thread still inside enqueue() (it pushed an item that already ran, and has yet to
//      read wake_state_), then closes the eventfd and frees the ring.
//
// The ring is SINGLE_ISSUER where the kernel allows: the first thread to call run() owns it, and
// running the loop from another thread later is refused with a clear error.
#pragma once

#include <weft/detail/child_group.hpp>
#include <weft/detail/drive_into.hpp>
#include <weft/detail/driver.hpp>
#include <weft/detail/mpsc_inbox.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/detail/timer_heap.hpp>
#include <weft/executor.hpp>
#include <weft/task.hpp>

#include <liburing.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>

namespace weft {

namespace detail {

/// Something the loop completes when a CQE carrying its address as user_data arrives.
class uring_completion {
 public:
  void (*on_cqe)(uring_completion* self, int result, std::uint32_t flags) noexcept = nullptr;
};

}  // namespace detail

class io_loop final : public executor {
 public:
  using clock = std::chrono::steady_clock;
  enum class clock_mode {
    real,    ///< steady_clock
    manual,  ///< starts at steady_clock::now(); moves only by advance(), or by jumping to the next
             ///< timer deadline when nothing is ready and no completion is waiting
  };

  struct options {
    /// Submission queue entries (the completion queue gets four times as many). More operations
    /// than this may be in flight at once: a full queue is submitted and reused, never an error.
    unsigned entries = 256;
    /// A single step of a coroutine longer than this logs a warning naming the task; zero turns
    /// the check off. Default: WEFT_SLOW_STEP_MS from the environment, else 100 ms.
    std::chrono::milliseconds slow_step = default_slow_step();
    clock_mode clock = clock_mode::real;
    /// After work arrived from another thread, how long the loop keeps checking its inbox before
    /// it sleeps in the kernel: waking a sleeping thread costs tens of microseconds, and the next
    /// cross-thread hand-off (an offload's result, a channel value) often follows within a few.
    /// An idle loop does not spin: only a loop that just received cross-thread work does, once.
    /// This is the base window of the spin policy in weft/waker.hpp (doubled after a spin that
    /// found work, with a sched_yield() every 20 µs); zero never spins.
    std::chrono::microseconds spin_before_sleep{50};
    /// How long shutdown waits for detached tasks and operations to end after asking them to stop.
    std::chrono::milliseconds drain_limit = std::chrono::seconds(5);
    /// When set, each batch of ready work runs in an order shuffled from this seed, so that tests
    /// cannot depend on run order by accident.
    std::optional<std::uint64_t> shuffle_seed;
    /// The loop thread's name in log lines (and of the thread, for top -H, while run() runs).
    std::string name = "loop";
  };

  static std::chrono::milliseconds default_slow_step();

  io_loop();
  /// Creates the ring. Throws std::system_error saying why when io_uring is unavailable.
  explicit io_loop(options opts);
  ~io_loop();
  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;

  /// Runs `main` on this loop, on the calling thread, until it finishes; then drains (see
  /// shutdown steps) and returns its value or rethrows its exception. `main`'s stop token is the
  /// loop's: stop() cancels it. Not reentrant; must not be called from inside another executor.
  template <class T>
  T run(task<T> main) {
    detail::outcome<T> result;
    run_main(detail::drive_into(std::move(main), &result));
    if constexpr (std::is_void_v<T>)
      (void)result.take();
    else
      return result.take();
  }

  /// Asks the loop to stop, from any thread (a pool worker, a signal-handling thread, a loop
  /// coroutine): stop is requested (on the loop thread, promptly) on the main task's token, whose
  /// operations then end with operation_cancelled; run() returns once the main task has finished
  /// and the loop drained. Called while no run() is in progress, it stops the next run.
  void stop() noexcept;

  /// `co_await loop.schedule()`
  ///   Yields: nothing.
  ///   Resumes on: this loop's thread (at once when already there, else through the inbox).
  ///   Cancellation: none; the hop always completes (if the loop never runs again, the coroutine
  ///     waits in the inbox until the loop is destroyed, which runs it).
  class schedule_awaiter {
   public:
    explicit schedule_awaiter(io_loop& loop) noexcept : loop_(loop) {}
    bool await_ready() const noexcept { return current_executor() == &loop_; }
    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> waiting) noexcept {
      item_.set(waiting);
      loop_.enqueue(&item_);
    }
    void await_resume() const noexcept {}

   private:
    io_loop& loop_;
    resume_item item_;
  };
  [[nodiscard]] schedule_awaiter schedule() noexcept { return schedule_awaiter{*this}; }

  /// Runs `fn()` on the loop thread, from any thread. `fn` must not throw (it would abort).
  template <class F>
  void post(F&& fn) {
    struct posted final : work_item {
      explicit posted(F&& f) : fn(std::forward<F>(f)) {
        run = [](work_item* self) noexcept {
          std::unique_ptr<posted> owner{static_cast<posted*>(self)};
          owner->fn();
        };
      }
      std::decay_t<F> fn;
    };
    enqueue(new posted(std::forward<F>(fn)));
  }

  /// The loop's clock: steady_clock, or the manual clock.
  [[nodiscard]] clock::time_point now() const noexcept;
  /// Moves the manual clock forward (loop thread). Aborts on a real-clock loop.
  void advance(clock::duration by);

  /// Whether the kernel supports IORING_OP_* `opcode` (probed when the ring was created).
  [[nodiscard]] bool supports(unsigned opcode) const noexcept {
    return opcode < 256 && opcodes_.test(opcode);
  }
  /// Which ring setup the kernel accepted ("SINGLE_ISSUER|DEFER_TASKRUN", ...).
  [[nodiscard]] const std::string& setup_mode() const noexcept { return setup_mode_; }

  /// The loop whose thread is calling, or nullptr.
  [[nodiscard]] static io_loop* current() noexcept;

  // executor
  void enqueue(work_item* item) noexcept override;
  [[nodiscard]] std::string_view name() const noexcept override { return options_.name; }
  [[nodiscard]] std::stop_token detached_stop_token() const noexcept override;
  [[nodiscard]] detail::completion_sink* adopt_detached() noexcept override;

  // ---- The backend seam, for operations (timers here, I/O in io/). Loop thread only. ----

  /// A free SQE; when the queue is full, submits what is queued (reaping completions if the kernel
  /// asks for room) and tries again. Never fails for lack of space.
  [[nodiscard]] io_uring_sqe* acquire_sqe();
  /// An operation whose SQE carries a uring_completion has been queued / has had its final CQE.
  void operation_started() noexcept { ++operations_in_flight_; }
  void operation_finished() noexcept { --operations_in_flight_; }
  [[nodiscard]] std::size_t operations_in_flight() const noexcept { return operations_in_flight_; }
  void add_timer(detail::timer_node* node) { timers_.push(node); }
  void remove_timer(detail::timer_node* node) noexcept {
    if (node->queued()) timers_.erase(node);
  }
  /// Queues `item` to run in this loop's next batch (loop thread).
  void make_ready(work_item* item) noexcept;
  /// The ring itself, for registrations (provided buffers, ...). Loop thread only: the kernel
  /// refuses a SINGLE_ISSUER ring's registrations from any other thread.
  [[nodiscard]] io_uring& native_ring() noexcept { return ring_; }

 private:
  class main_sink final : public detail::completion_sink {
   public:
    bool done = false;
    std::coroutine_handle<> child_done() noexcept override {
      done = true;
      return std::noop_coroutine();
    }
  };
  class detached_sink final : public detail::completion_sink {
   public:
    // Detached tasks started on this loop and not yet finished; changed from any thread.
    std::atomic<std::size_t> running{0};
    std::coroutine_handle<> child_done() noexcept override {
      running.fetch_sub(1, std::memory_order_acq_rel);
      return std::noop_coroutine();
    }
  };

  void run_main(detail::driver main);
  template <class Done>
  void run_until(Done done, std::optional<clock::time_point> limit);
  class step_clock;
  void run_ready_batch();
  void run_step(work_item* item, step_clock& clock);
  void fire_timers();
  void poll_completions();
  void wait_for_completions(std::optional<clock::time_point> limit);
  unsigned reap_completions();
  void submit_queued();
  void arm_wake_poll();
  void drain();
  [[nodiscard]] bool quiescent() const noexcept;
  void wake() noexcept;
  bool spin_for_inbox(std::optional<clock::time_point> deadline);

  options options_;
  io_uring ring_{};
  std::string setup_mode_;
  std::bitset<256> opcodes_;
  int wake_fd_ = -1;

  // Local ready queue: intrusive FIFO, loop thread only.
  work_item* ready_head_ = nullptr;
  work_item* ready_tail_ = nullptr;
  std::size_t ready_count_ = 0;

  // The lines other threads touch are kept apart from the loop's own hot fields (and from each
  // other): a producer's push would otherwise take the line the loop writes on every step, and
  // the loop's spin reading the inbox would fight the producer's counter updates.

  // Producers CAS it; the loop spins reading it and takes it whole.
  alignas(64) detail::mpsc_inbox inbox_;
  // The wake-up state word (protocol above).
  //   running  — the loop thread is not blocked; producers write nothing. Stored by the loop.
  //   sleeping — the loop is blocked, or about to block, in io_uring_enter. Stored by the loop.
  //   woken    — a producer CASed sleeping → woken and writes (or wrote) the eventfd.
  // Beside the inbox: a producer reads it right after its push, and the loop writes it only on
  // its way to sleep and back.
  enum wake_state : std::uint8_t { running, sleeping, woken };
  std::atomic<std::uint8_t> wake_state_{running};
  // Threads inside enqueue() from outside the loop (between the inbox push and the wake-up).
  // Incremented and decremented by those threads; the destructor waits for zero. Its own line:
  // with one producer thread it stays in that thread's cache.
  alignas(64) std::atomic<std::uint32_t> producers_{0};

  // The multishot poll on the eventfd that producers write to wake the loop.
  alignas(64) detail::uring_completion wake_completion_;
  bool wake_armed_ = false;
  bool ring_enabled_ = false;
  std::thread::id owner_;  // the thread that drives the ring (set by the first run)

  detail::timer_heap timers_;
  clock::time_point manual_now_;
  std::size_t operations_in_flight_ = 0;
  std::uint64_t shuffle_state_ = 0;
  bool spin_next_wait_ = false;  // the last batch took work from the inbox

  bool running_ = false;
  // Requested on the loop thread only (stop() posts stop_item_ to get there).
  std::stop_source main_stop_;
  struct stop_request : work_item {
    io_loop* loop = nullptr;
  };
  stop_request stop_item_;
  std::atomic<bool> stop_posted_{false};  // true while stop_item_ is queued; any thread sets it
  // The stop source of detached tasks on this loop: read by spawn_detached from any thread,
  // requested and renewed by drain() on the loop thread; both under detached_mutex_.
  mutable std::mutex detached_mutex_;
  std::stop_source detached_stop_;
  detached_sink detached_;
};

/// Runs `main` on a new io_loop with default options: `weft::run(serve())` in main().
template <class T>
T run(task<T> main) {
  io_loop loop;
  return loop.run(std::move(main));
}

}  // namespace weft

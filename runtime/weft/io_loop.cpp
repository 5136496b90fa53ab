#include <weft/io_loop.hpp>

#include <weft/detail/fatal.hpp>
#include <weft/detail/task_name.hpp>
#include <weft/detail/uring_setup.hpp>
#include <weft/log.hpp>
#include <weft/waker.hpp>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace weft {
namespace {

thread_local io_loop* this_thread_loop = nullptr;

class loop_guard {
 public:
  explicit loop_guard(io_loop* loop) noexcept : previous_(this_thread_loop) {
    this_thread_loop = loop;
  }
  ~loop_guard() { this_thread_loop = previous_; }
  loop_guard(const loop_guard&) = delete;
  loop_guard& operator=(const loop_guard&) = delete;

 private:
  io_loop* previous_;
};

/// Whether the slow-step check may time steps with CLOCK_MONOTONIC_COARSE: when the threshold is at
/// least ten times that clock's resolution (one tick: 4 ms at HZ=250, so the default 100 ms
/// qualifies). Every step is timed, and a coarse read (~8 ns, the vDSO's copy of the last tick)
/// costs a third of steady_clock::now(); its error stays under a tenth of the threshold.
bool coarse_clock_suffices(std::chrono::milliseconds threshold) noexcept {
  static const std::chrono::nanoseconds resolution = [] {
    timespec r{};
    if (::clock_getres(CLOCK_MONOTONIC_COARSE, &r) != 0) return std::chrono::nanoseconds::max();
    return std::chrono::seconds(r.tv_sec) + std::chrono::nanoseconds(r.tv_nsec);
  }();
  return resolution <= std::chrono::milliseconds(100) && threshold >= 10 * resolution;
}

std::chrono::nanoseconds coarse_now() noexcept {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

}  // namespace

/// Times the steps of one batch for the slow-step check: one clock read before the batch and one
/// after each step (the end of a step is the start of the next), where timing each step on its
/// own would read the clock twice per step.
class io_loop::step_clock {
 public:
  explicit step_clock(std::chrono::milliseconds threshold) noexcept
      : enabled_(threshold.count() != 0), coarse_(enabled_ && coarse_clock_suffices(threshold)) {
    if (enabled_) mark_ = read();
  }
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  /// The time since the previous lap (or the batch's start).
  std::chrono::nanoseconds lap() noexcept {
    std::chrono::nanoseconds now = read();
    return now - std::exchange(mark_, now);
  }

 private:
  [[nodiscard]] std::chrono::nanoseconds read() const noexcept {
    return coarse_ ? coarse_now() : clock::now().time_since_epoch();
  }
  bool enabled_;
  bool coarse_;
  std::chrono::nanoseconds mark_{};
};

namespace {

__kernel_timespec to_timespec(std::chrono::nanoseconds d) {
  if (d < std::chrono::nanoseconds::zero()) d = std::chrono::nanoseconds::zero();
  __kernel_timespec ts{};
  ts.tv_sec = static_cast<long long>(d.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long long>(d.count() % 1'000'000'000);
  return ts;
}

}  // namespace

std::chrono::milliseconds io_loop::default_slow_step() {
  if (const char* value = std::getenv("WEFT_SLOW_STEP_MS")) {
    char* end = nullptr;
    long ms = std::strtol(value, &end, 10);
    if (end != value && ms >= 0) return std::chrono::milliseconds(ms);
  }
  return std::chrono::milliseconds(100);
}

io_loop::io_loop() : io_loop(options{}) {}

io_loop::io_loop(options opts) : options_(std::move(opts)) {
  detail::uring_setup_result setup = detail::setup_ring(ring_, options_.entries);
  setup_mode_ = std::move(setup.mode);
  ring_enabled_ = !setup.disabled;
  opcodes_ = setup.opcodes;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    int error = errno;
    io_uring_queue_exit(&ring_);
    throw std::system_error(error, std::system_category(), "weft: io_loop: eventfd");
  }
  wake_completion_.on_cqe = [](detail::uring_completion*, int, std::uint32_t) noexcept {};
  stop_item_.run = [](work_item* self) noexcept {
    io_loop* loop = static_cast<stop_request*>(self)->loop;
    loop->stop_posted_.store(false, std::memory_order_release);
    loop->main_stop_.request_stop();
  };
  stop_item_.loop = this;
  manual_now_ = clock::now();
  shuffle_state_ = options_.shuffle_seed.value_or(0) * 0x9E3779B97F4A7C15ull + 1;
  log_debug("io_loop '{}': ring of {} entries, setup {}", options_.name, options_.entries,
            setup_mode_);
}

io_loop::~io_loop() {
  WEFT_CHECK(!running_, "io_loop '{}' destroyed while run() is running", options_.name);
  if (ring_enabled_ && owner_ == std::this_thread::get_id()) {
    detail::executor_guard as_executor{this};
    loop_guard as_loop{this};
    drain();
    if (wake_armed_) {
      io_uring_sqe* sqe = acquire_sqe();
      io_uring_prep_cancel64(sqe, reinterpret_cast<std::uintptr_t>(&wake_completion_), 0);
      io_uring_sqe_set_data(sqe, nullptr);
      while (wake_armed_) {
        int result = io_uring_submit_and_wait(&ring_, 1);
        if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY) break;
        reap_completions();
      }
    }
  } else if (!quiescent()) {
    // Only the thread that enabled a SINGLE_ISSUER ring may submit to it, so this thread cannot
    // cancel anything: the kernel cancels it all when the ring is freed.
    log_error("io_loop '{}' destroyed on another thread than the one that ran it, with work left",
              options_.name);
  }
  // A producer still between its inbox push and its wake-up touches this object: let it leave.
  while (producers_.load(std::memory_order_acquire) != 0)
    std::this_thread::yield();
  ::close(wake_fd_);
  io_uring_queue_exit(&ring_);
}

io_loop* io_loop::current() noexcept {
  return this_thread_loop;
}

io_loop::clock::time_point io_loop::now() const noexcept {
  return options_.clock == clock_mode::manual ? manual_now_ : clock::now();
}

void io_loop::advance(clock::duration by) {
  WEFT_CHECK(options_.clock == clock_mode::manual, "io_loop::advance on a real-clock loop");
  manual_now_ += by;
}

std::stop_token io_loop::detached_stop_token() const noexcept {
  std::lock_guard lock{detached_mutex_};
  return detached_stop_.get_token();
}

detail::completion_sink* io_loop::adopt_detached() noexcept {
  detached_.running.fetch_add(1, std::memory_order_relaxed);
  return &detached_;
}

void io_loop::enqueue(work_item* item) noexcept {
  if (this_thread_loop == this) {
    make_ready(item);
    return;
  }
  // Once pushed, the item may run, finish the main task and let the loop be destroyed before
  // wake() reads wake_state_ or writes the eventfd: the destructor waits for this count to drop.
  producers_.fetch_add(1, std::memory_order_acquire);
  inbox_.push(item);
  wake();
  producers_.fetch_sub(1, std::memory_order_release);
}

void io_loop::wake() noexcept {
  // Step 2 of the wake-up protocol. The common case — the loop is awake — costs one load.
  std::uint8_t expected = sleeping;
  if (wake_state_.load(std::memory_order_seq_cst) == sleeping &&
      wake_state_.compare_exchange_strong(expected, woken, std::memory_order_seq_cst)) {
    std::uint64_t one = 1;
    ssize_t written;
    do {
      written = ::write(wake_fd_, &one, sizeof one);
    } while (written < 0 && errno == EINTR);
  }
}

void io_loop::make_ready(work_item* item) noexcept {
  item->next = nullptr;
  if (ready_tail_ != nullptr)
    ready_tail_->next = item;
  else
    ready_head_ = item;
  ready_tail_ = item;
  ++ready_count_;
}

void io_loop::stop() noexcept {
  // The stop request itself is made on the loop thread, so the main task's stop source is only
  // ever touched there; one stop item is in flight at a time.
  if (!stop_posted_.exchange(true, std::memory_order_acq_rel)) enqueue(&stop_item_);
}

void io_loop::run_main(detail::driver main) {
  WEFT_CHECK(!running_, "io_loop::run is not reentrant");
  if (executor* outer = current_executor(); outer != nullptr)
    detail::fatal("io_loop::run called on a thread running '{}'", outer->name());
  if (!ring_enabled_) {
    // The kernel binds a SINGLE_ISSUER ring to the thread that enables it: this one.
    detail::enable_ring(ring_);
    ring_enabled_ = true;
    owner_ = std::this_thread::get_id();
  } else if (owner_ == std::thread::id{}) {
    owner_ = std::this_thread::get_id();
  } else if (owner_ != std::this_thread::get_id()) {
    throw std::logic_error(fmt::format(
        "weft: io_loop '{}' was first run on another thread; its ring ({}) can only be driven by "
        "that thread: create and run each loop on one thread",
        options_.name, setup_mode_));
  }
  running_ = true;
  std::string previous_name{thread_name()};
  set_thread_name(options_.name);
  detail::executor_guard as_executor{this};
  loop_guard as_loop{this};

  main_sink main_done;
  std::move(main).start(&main_done, main_stop_.get_token(), this);
  run_until([&] { return main_done.done; }, std::nullopt);
  drain();
  main_stop_ = std::stop_source{};  // loop thread: the next run starts with a fresh token

  set_thread_name(previous_name);
  running_ = false;
}

bool io_loop::quiescent() const noexcept {
  return detached_.running.load(std::memory_order_acquire) == 0 && operations_in_flight_ == 0 &&
         timers_.empty() && ready_count_ == 0 && inbox_.empty();
}

void io_loop::drain() {
  if (quiescent()) return;
  std::stop_source stopping;
  {
    std::lock_guard lock{detached_mutex_};
    stopping = detached_stop_;  // tasks detached while draining get the stopped token too
  }
  stopping.request_stop();
  auto limit = clock::now() + options_.drain_limit;
  run_until([this] { return quiescent(); }, limit);
  if (!quiescent())
    log_error(
        "io_loop '{}': shutdown gave up after {} ms with {} detached task(s), {} operation(s) and "
        "{} "
        "timer(s) left; their frames are abandoned (leaked), never freed under the kernel",
        options_.name, options_.drain_limit.count(),
        detached_.running.load(std::memory_order_acquire), operations_in_flight_, timers_.size());
  std::lock_guard lock{detached_mutex_};
  detached_stop_ = std::stop_source{};  // detached tasks of the next run start unstopped
}

template <class Done>
void io_loop::run_until(Done done, std::optional<clock::time_point> limit) {
  while (true) {
    run_ready_batch();
    if (done()) return;
    if (limit && clock::now() >= *limit) return;
    fire_timers();
    if (ready_count_ != 0 || !inbox_.empty())
      poll_completions();
    else
      wait_for_completions(limit);
  }
}

void io_loop::run_ready_batch() {
  work_item* arrived = inbox_.take_all();
  if (arrived != nullptr) spin_next_wait_ = true;
  for (work_item* item = arrived; item != nullptr;) {
    work_item* next = item->next;
    make_ready(item);
    item = next;
  }
  // Only the work ready now: what it makes ready runs in the next batch, after I/O is polled.
  std::size_t batch = ready_count_;
  if (batch == 0) return;
  step_clock clock{options_.slow_step};
  if (options_.shuffle_seed && batch > 1) {
    std::vector<work_item*> items;
    items.reserve(batch);
    for (std::size_t i = 0; i < batch; ++i) {
      items.push_back(ready_head_);
      ready_head_ = ready_head_->next;
    }
    if (ready_head_ == nullptr) ready_tail_ = nullptr;
    ready_count_ -= batch;
    for (std::size_t i = batch - 1; i > 0; --i) {
      shuffle_state_ ^= shuffle_state_ << 13;
      shuffle_state_ ^= shuffle_state_ >> 7;
      shuffle_state_ ^= shuffle_state_ << 17;
      std::swap(items[i], items[shuffle_state_ % (i + 1)]);
    }
    for (work_item* item : items)
      run_step(item, clock);
    return;
  }
  for (std::size_t i = 0; i < batch; ++i) {
    work_item* item = ready_head_;
    ready_head_ = item->next;
    if (ready_head_ == nullptr) ready_tail_ = nullptr;
    --ready_count_;
    run_step(item, clock);
  }
}

void io_loop::run_step(work_item* item, step_clock& clock) {
  if (!clock.enabled()) {
    detail::run_item(item);
    return;
  }
  detail::begin_step(item->task_name);
  item->run(item);
  std::chrono::nanoseconds took = clock.lap();
  if (took > options_.slow_step) {
    const char* task = detail::step_task_name();
    log_warning(
        "slow step: task '{}' ran {} ms without yielding on loop '{}' (threshold {} ms); blocking "
        "calls or long computations stall every coroutine on the loop — offload them to the pool",
        task != nullptr ? task : "(unnamed)",
        std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), options_.name,
        options_.slow_step.count());
  }
  detail::begin_step(nullptr);
}

void io_loop::fire_timers() {
  if (timers_.empty()) return;
  auto current = now();
  while (detail::timer_node* first = timers_.top()) {
    if (first->deadline > current) break;
    timers_.pop();
    first->fire(first);
  }
}

io_uring_sqe* io_loop::acquire_sqe() {
  while (true) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
    submit_queued();
  }
}

void io_loop::submit_queued() {
  while (true) {
    int result = io_uring_submit(&ring_);
    if (result >= 0) return;
    if (result == -EINTR) continue;
    if (result == -EBUSY || result == -EAGAIN) {
      // The kernel holds completions we have not reaped (CQ overflow) or is short of resources:
      // make room by reaping — completions only queue work, so this is safe anywhere — and retry.
      if (reap_completions() == 0) io_uring_get_events(&ring_);
      continue;
    }
    detail::fatal("io_loop '{}': io_uring_submit failed: {}", options_.name,
                  std::strerror(-result));
  }
}

void io_loop::arm_wake_poll() {
  if (wake_armed_) return;
  // A poll, not a read: no buffer the kernel could write into after the loop is gone.
  io_uring_sqe* sqe = acquire_sqe();
  io_uring_prep_poll_multishot(sqe, wake_fd_, POLLIN);
  io_uring_sqe_set_data(sqe, &wake_completion_);
  wake_armed_ = true;
}

unsigned io_loop::reap_completions() {
  unsigned total = 0;
  while (true) {
    unsigned head = 0;
    unsigned count = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++count;
      auto* completion = static_cast<detail::uring_completion*>(io_uring_cqe_get_data(cqe));
      if (cqe->user_data == LIBURING_UDATA_TIMEOUT) {
        // liburing's own timeout SQE, on kernels without IORING_FEAT_EXT_ARG
      } else if (completion == &wake_completion_) {
        // Woken: reset the counter so the poll is not ready again at once (one read per actual
        // wake-up, which already cost the producer a write and us a context switch).
        std::uint64_t count_ignored = 0;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count_ignored, sizeof count_ignored);
        if ((cqe->flags & IORING_CQE_F_MORE) == 0) wake_armed_ = false;
      } else if (completion != nullptr) {
        completion->on_cqe(completion, cqe->res, cqe->flags);
      }
    }
    io_uring_cq_advance(&ring_, count);
    total += count;
    // With IORING_FEAT_NODROP the kernel keeps completions that did not fit; flush them in.
    bool overflowed = (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW) != 0;
    if (count == 0 && !overflowed) return total;
    if (overflowed) io_uring_get_events(&ring_);
  }
}

void io_loop::poll_completions() {
  // Nothing in flight and nothing queued: the kernel has nothing for us, skip the syscall.
  if (operations_in_flight_ == 0 && io_uring_sq_ready(&ring_) == 0) return;
  if (io_uring_sq_ready(&ring_) != 0 || (ring_.flags & IORING_SETUP_DEFER_TASKRUN) != 0) {
    // With DEFER_TASKRUN completions are only posted when we enter the kernel asking for them.
    int result = io_uring_submit_and_get_events(&ring_);
    if (result == -EBUSY || result == -EAGAIN) reap_completions();
  }
  reap_completions();
}

// The spin before sleeping (wake-up protocol of io_loop.hpp, before its step 1). Only after
// cross-thread work arrived (spin_next_wait_): an idle loop goes to sleep at once. How long and how
// it spins follows the spin policy of weft/waker.hpp: options.spin_before_sleep is the base window,
// twice that when this thread's previous spin found work, with a sched_yield() every 20 µs of
// fruitless spinning. While spinning it keeps reaping I/O completions, so that I/O does not wait
// for the spin to end.
bool io_loop::spin_for_inbox(std::optional<clock::time_point> deadline) {
  if (!std::exchange(spin_next_wait_, false)) return false;
  auto window = detail::spin_window(options_.spin_before_sleep);
  if (window.count() <= 0) return false;
  auto start = clock::now();
  auto until = start + window;
  detail::spin_yielder yielder{start};
  bool cut_short = false;
  if (deadline && *deadline < until) {
    until = *deadline;
    cut_short = true;
  }
  for (auto now = start; now < until; now = clock::now()) {
    for (int i = 0; i < 32; ++i) {
      if (!inbox_.empty()) {
        detail::spin_ended(true);
        return true;
      }
      __builtin_ia32_pause();
    }
    yielder.due(now);
    if (operations_in_flight_ != 0 && now - start > std::chrono::microseconds(5)) {
      std::size_t operations_before = operations_in_flight_;
      poll_completions();  // I/O must not wait for the spin to end
      // Work made ready ends the spin, and so does an operation that ended without making any
      // (a write-behind send): it may have been the last one a drain waits for.
      if (ready_count_ != 0 || operations_in_flight_ != operations_before) {
        detail::spin_ended(true);
        return true;
      }
      start = now;
    }
  }
  if (!cut_short) detail::spin_ended(false);
  return false;
}

void io_loop::wait_for_completions(std::optional<clock::time_point> limit) {
  arm_wake_poll();
  std::optional<clock::time_point> deadline = limit;
  if (const detail::timer_node* first = timers_.top())
    if (!deadline || first->deadline < *deadline) deadline = first->deadline;

  if (options_.clock == clock_mode::manual && timers_.top() != nullptr) {
    // Manual time: never sleep while a timer is pending. Let the kernel post what is already
    // complete; if that brings nothing, every task is idle: jump to the next deadline.
    poll_completions();
    if (ready_count_ == 0 && inbox_.empty() && timers_.top()->deadline > manual_now_)
      manual_now_ = timers_.top()->deadline;
    return;
  }

  if (spin_for_inbox(deadline)) return;

  // Step 1 of the wake-up protocol.
  wake_state_.store(sleeping, std::memory_order_seq_cst);
  if (!inbox_.empty()) {
    wake_state_.store(running, std::memory_order_seq_cst);
    return;
  }
  io_uring_cqe* cqe = nullptr;
  int result;
  if (deadline) {
    __kernel_timespec ts = to_timespec(*deadline - clock::now());
    result = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
  } else {
    result = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
  }
  wake_state_.store(running, std::memory_order_seq_cst);  // step 3
  if (result < 0 && result != -ETIME && result != -EINTR && result != -EBUSY && result != -EAGAIN)
    detail::fatal("io_loop '{}': waiting for completions failed: {}", options_.name,
                  std::strerror(-result));
  reap_completions();
}

}  // namespace weft

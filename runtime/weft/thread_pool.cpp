#include <weft/thread_pool.hpp>

#include <weft/log.hpp>

#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

namespace weft {
namespace {

thread_local thread_pool* this_thread_pool = nullptr;
thread_local void* this_thread_worker = nullptr;  // the worker (of this_thread_pool) we are

/// Runs `items` worth of local work before looking at the injection queue again.
constexpr std::uint64_t inject_check_interval = 61;

std::uint64_t next_random(std::uint64_t& state) noexcept {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

}  // namespace

thread_pool::thread_pool() : thread_pool(options{}) {}

thread_pool::thread_pool(options opts) : options_(std::move(opts)) {
  std::size_t count =
      options_.workers != 0 ? options_.workers : std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<worker>(i));
    workers_.back()->random = 0x9E3779B97F4A7C15ull * (i + 1);
  }
  // Workers start with every signal blocked, so that signals go to threads that wait for them
  // (a weft::signal_set, or the main thread) and never interrupt CPU work at random.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  for (auto& w : workers_)
    w->thread = std::thread([this, raw = w.get()] { worker_main(*raw); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

thread_pool::~thread_pool() {
  WEFT_CHECK(!on_own_worker(), "thread_pool '{}' destroyed by one of its own workers",
             options_.name);
  stop();
}

thread_pool* thread_pool::current() noexcept {
  return this_thread_pool;
}

bool thread_pool::on_own_worker() const noexcept {
  return this_thread_pool == this;
}

void thread_pool::stop() {
  {
    std::lock_guard lock{inject_mutex_};
    accepting_ = false;
  }
  stopping_.store(true, std::memory_order_seq_cst);
  wake_all();
  if (on_own_worker()) return;  // joining ourselves would deadlock; the destructor joins
  std::lock_guard lock{join_mutex_};
  if (joined_) return;
  for (auto& w : workers_)
    w->thread.join();
  joined_ = true;
}

bool thread_pool::submit_item(work_item* item) noexcept {
  if (on_own_worker()) {
    enqueue(item);  // from inside the pool: the worker's own deque, even while stopping
    return true;
  }
  {
    std::lock_guard lock{inject_mutex_};
    if (!accepting_) return false;
    push_injected_locked(item);
  }
  wake_one();
  return true;
}

void thread_pool::enqueue(work_item* item) noexcept {
  if (on_own_worker()) {
    // Step 3 of the parking protocol: publish, then wake.
    static_cast<worker*>(this_thread_worker)->deque.push(item);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake_one();
    return;
  }
  {
    std::lock_guard lock{inject_mutex_};
    if (finished_) {
      // Resuming a pool coroutine after the workers are gone: nowhere else to run it.
      log_error("thread_pool '{}': work arrived after the workers exited; running it inline",
                options_.name);
    } else {
      push_injected_locked(item);
      item = nullptr;
    }
  }
  if (item != nullptr) {
    detail::run_item(item);
    return;
  }
  wake_one();
}

void thread_pool::push_injected_locked(work_item* item) noexcept {
  item->next = nullptr;
  if (inject_tail_ != nullptr)
    inject_tail_->next = item;
  else
    inject_head_ = item;
  inject_tail_ = item;
  injected_.fetch_add(1, std::memory_order_seq_cst);  // step 3 of the parking protocol: publish
}

bool thread_pool::withdraw(work_item* item) noexcept {
  std::lock_guard lock{inject_mutex_};
  work_item* previous = nullptr;
  for (work_item* current = inject_head_; current != nullptr; current = current->next) {
    if (current == item) {
      (previous != nullptr ? previous->next : inject_head_) = current->next;
      if (inject_tail_ == current) inject_tail_ = previous;
      injected_.fetch_sub(1, std::memory_order_relaxed);
      return true;
    }
    previous = current;
  }
  return false;
}

work_item* thread_pool::take_injected() noexcept {
  if (injected_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock{inject_mutex_};
  work_item* item = inject_head_;
  if (item == nullptr) return nullptr;
  inject_head_ = item->next;
  if (inject_head_ == nullptr) inject_tail_ = nullptr;
  injected_.fetch_sub(1, std::memory_order_relaxed);
  return item;
}

work_item* thread_pool::steal_from_others(worker& self) {
  const std::size_t n = workers_.size();
  if (n < 2) return nullptr;
  std::size_t start = next_random(self.random) % n;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool contended = false;
    for (std::size_t k = 0; k < n; ++k) {
      worker& victim = *workers_[(start + k) % n];
      if (&victim == &self) continue;
      work_item* item = nullptr;
      switch (victim.deque.steal(item)) {
        case detail::work_stealing_deque::steal_result::success:
          return item;
        case detail::work_stealing_deque::steal_result::lost_race:
          contended = true;
          break;
        case detail::work_stealing_deque::steal_result::empty:
          break;
      }
    }
    if (!contended) break;
  }
  return nullptr;
}

work_item* thread_pool::find_work(worker& self, std::uint64_t& ticks) {
  if (++ticks % inject_check_interval == 0)
    if (work_item* item = take_injected()) return item;
  if (work_item* item = self.deque.pop()) return item;
  if (work_item* item = take_injected()) return item;
  return steal_from_others(self);
}

bool thread_pool::has_work_anywhere() const noexcept {
  if (injected_.load(std::memory_order_seq_cst) != 0) return true;
  for (const auto& w : workers_)
    if (w->deque.size_estimate() != 0) return true;
  return false;
}

void thread_pool::wake_one() noexcept {
  if (searching_.load(std::memory_order_seq_cst) != 0) return;  // a searcher will find it
  if (parked_.load(std::memory_order_seq_cst) == 0) return;
  for (auto& w : workers_) {
    std::uint32_t expected = parked;
    if (w->state.compare_exchange_strong(expected, notified, std::memory_order_seq_cst)) {
      w->state.notify_one();
      return;
    }
  }
}

void thread_pool::wake_all() noexcept {
  for (auto& w : workers_) {
    std::uint32_t expected = parked;
    if (w->state.compare_exchange_strong(expected, notified, std::memory_order_seq_cst))
      w->state.notify_one();
  }
}

bool thread_pool::park(worker& self) {
  // Step 1: search for a while.
  searching_.fetch_add(1, std::memory_order_seq_cst);
  auto until = std::chrono::steady_clock::now() + options_.spin_before_park;
  do {
    for (int i = 0; i < 16; ++i) {
      if (has_work_anywhere()) {
        searching_.fetch_sub(1, std::memory_order_seq_cst);
        return true;
      }
      __builtin_ia32_pause();
    }
  } while (std::chrono::steady_clock::now() < until);

  // Step 2: announce, then look once more.
  self.state.store(parked, std::memory_order_seq_cst);
  std::size_t now_parked = parked_.fetch_add(1, std::memory_order_seq_cst) + 1;
  searching_.fetch_sub(1, std::memory_order_seq_cst);
  auto unpark = [&] {
    parked_.fetch_sub(1, std::memory_order_seq_cst);
    self.state.store(running, std::memory_order_seq_cst);
  };
  if (has_work_anywhere()) {
    unpark();
    return true;
  }
  if (stopping_.load(std::memory_order_seq_cst) && now_parked == workers_.size()) {
    // Every worker is idle and nothing is queued: shutdown is complete.
    std::lock_guard lock{inject_mutex_};
    if (inject_head_ == nullptr) {
      finished_ = true;
      exit_.store(true, std::memory_order_seq_cst);
    }
  }
  if (exit_.load(std::memory_order_seq_cst)) {
    unpark();
    wake_all();
    return false;
  }
  while (self.state.load(std::memory_order_seq_cst) == parked)
    self.state.wait(parked, std::memory_order_seq_cst);
  unpark();
  return !exit_.load(std::memory_order_seq_cst);
}

void thread_pool::worker_main(worker& self) {
  set_thread_name(fmt::format("{}-{}", options_.name, self.index));
  detail::executor_guard as_executor{this};
  this_thread_pool = this;
  this_thread_worker = &self;
  std::uint64_t ticks = 0;
  while (true) {
    if (work_item* item = find_work(self, ticks)) {
      detail::run_item(item);
      continue;
    }
    if (!park(self)) break;
  }
  this_thread_pool = nullptr;
  this_thread_worker = nullptr;
}

thread_pool& default_pool() {
  static thread_pool pool;
  return pool;
}

}  // namespace weft

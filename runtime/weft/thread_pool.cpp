#include <weft/thread_pool.hpp>

#include <weft/log.hpp>
#include <weft/waker.hpp>

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
  // Shutdown step 3: a producer still between its publishing and its last access to the pool
  // touches this object: let it leave, then run what it may have pushed as the workers exited.
  while (outside_producers_.load(std::memory_order_acquire) != 0)
    std::this_thread::yield();
  run_orphans();
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
  run_orphans();  // shutdown step 2: pushed just as the last worker decided to exit
}

bool thread_pool::submit_item(work_item* item) noexcept {
  if (on_own_worker()) {
    enqueue(item);  // from inside the pool: the worker's own deque, even while stopping
    return true;
  }
  outside_producers_.fetch_add(1, std::memory_order_acquire);
  bool accepted = false;
  {
    std::lock_guard lock{inject_mutex_};
    if (accepting_) {
      push_injected_locked(item);
      accepted = true;
    }
  }
  if (accepted) wake_one();
  outside_producers_.fetch_sub(1, std::memory_order_release);
  return accepted;
}

void thread_pool::enqueue(work_item* item) noexcept {
  if (on_own_worker()) {
    // Step 3 of the parking protocol: publish, then wake.
    static_cast<worker*>(this_thread_worker)->deque.push(item);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wake_one();
    return;
  }
  // From outside: the lock-free inbox. Once pushed, the item may run and let the pool be
  // destroyed before we are done here: the destructor waits for outside_producers_ to drop.
  outside_producers_.fetch_add(1, std::memory_order_acquire);
  inbox_.push(item);  // step 3 of the parking protocol: publish (seq_cst), then wake
  if (exit_.load(std::memory_order_seq_cst))
    run_orphans();  // shutdown step 2: no worker is left to take it
  else
    wake_one();
  outside_producers_.fetch_sub(1, std::memory_order_release);
}

void thread_pool::run_orphans() noexcept {
  for (work_item* item = inbox_.take_all(); item != nullptr;) {
    work_item* next = item->next;  // read before running: the item may be gone right after
    // Resuming a pool coroutine after the workers are gone: nowhere else to run it.
    log_error("thread_pool '{}': work arrived after the workers exited; running it inline",
              options_.name);
    detail::run_item(item);
    item = next;
  }
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

work_item* thread_pool::take_inbox(worker& self, bool& queued_more) {
  queued_more = false;
  work_item* first = inbox_.take_all();
  if (first == nullptr || first->next == nullptr) return first;
  // Several arrived: run the oldest now; the rest go onto our deque, oldest at the bottom (popped
  // next), where idle workers can steal them (the caller then wakes one: wake_more()).
  queued_more = true;
  work_item* newest_first = nullptr;
  for (work_item* item = first->next; item != nullptr;) {
    work_item* next = item->next;
    item->next = newest_first;
    newest_first = item;
    item = next;
  }
  for (work_item* item = newest_first; item != nullptr;) {
    work_item* next = item->next;
    self.deque.push(item);
    item = next;
  }
  return first;
}

void thread_pool::wake_more() noexcept {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // parking protocol step 3: published
  wake_one();
}

work_item* thread_pool::take_from_outside(worker& self, bool injected_first) {
  if (injected_first)
    if (work_item* item = take_injected()) return item;
  bool queued_more = false;
  if (work_item* item = take_inbox(self, queued_more)) {
    if (queued_more) wake_more();
    return item;
  }
  return injected_first ? nullptr : take_injected();
}

work_item* thread_pool::find_work(worker& self, std::uint64_t& ticks) {
  if (++ticks % inject_check_interval == 0)
    if (work_item* item = take_from_outside(self, true)) return item;
  if (work_item* item = self.deque.pop()) return item;
  if (work_item* item = take_from_outside(self, false)) return item;
  return steal_from_others(self);
}

bool thread_pool::has_work_anywhere() const noexcept {
  if (!inbox_.empty()) return true;
  if (injected_.load(std::memory_order_seq_cst) != 0) return true;
  for (const auto& w : workers_)
    if (w->deque.size_estimate() != 0) return true;
  return false;
}

void thread_pool::wake_one() noexcept {
  // parked_ first: it rarely changes, so this load hits in the cache while hand-offs are busy.
  if (parked_.load(std::memory_order_seq_cst) == 0) return;
  if (searching_.load(std::memory_order_seq_cst) != 0) return;  // a searcher will find it
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

bool thread_pool::park(worker& self, work_item*& found) {
  // Step 1: search for a while (how long: the spin policy in weft/waker.hpp).
  searching_.fetch_add(1, std::memory_order_seq_cst);
  auto now = std::chrono::steady_clock::now();
  auto until = now + detail::spin_window(options_.spin_before_park);
  detail::spin_yielder yielder{now};
  do {
    for (int i = 0; i < 16; ++i) {
      // The common hand-off (a pool coroutine woken from outside): take it at once, rather than
      // after another round of find_work.
      if (!inbox_.empty()) {
        bool queued_more = false;
        found = take_inbox(self, queued_more);
        if (found != nullptr) {
          searching_.fetch_sub(1, std::memory_order_seq_cst);
          detail::spin_ended(true);
          if (queued_more) wake_more();
          return true;
        }
      }
      if (has_work_anywhere()) {
        searching_.fetch_sub(1, std::memory_order_seq_cst);
        detail::spin_ended(true);
        return true;
      }
      __builtin_ia32_pause();
    }
    now = std::chrono::steady_clock::now();
    yielder.due(now);
  } while (now < until);
  detail::spin_ended(false);

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
    // (An inbox push that this check misses is seen by its producer, which then reads exit_,
    // or else run by stop() after the join: shutdown step 2.)
    std::lock_guard lock{inject_mutex_};
    if (inject_head_ == nullptr && inbox_.empty()) exit_.store(true, std::memory_order_seq_cst);
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
    work_item* found = nullptr;
    if (!park(self, found)) break;
    if (found != nullptr) detail::run_item(found);
  }
  this_thread_pool = nullptr;
  this_thread_worker = nullptr;
}

thread_pool& default_pool() {
  static thread_pool pool;
  return pool;
}

}  // namespace weft

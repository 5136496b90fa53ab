#include <weft/condition_variable.hpp>

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>

namespace weft {

/// Queues the waiter, then releases the mutex: a notify between the two cannot be missed because
/// the notifier needs the waiter to be queued (it is, before `m` is released).
class condition_variable::unlock_and_wait {
 public:
  unlock_and_wait(condition_variable& cv, mutex& m) noexcept
      : cv_(cv), mutex_(m), waiter_(cv.lock_, cv.waiters_) {}
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    waiter_.prepare(waiting);
    mutex& to_release = mutex_;  // once linked, a notifier may resume us: read the frame first
    {
      std::lock_guard guard{cv_.lock_};
      if (waiter_.stopped_early()) return false;
      released_ = true;
      waiter_.link();
    }
    to_release.unlock();
    return true;
  }
  void await_resume() { waiter_.finish(); }
  /// Whether the mutex was released (false only when a stop request came before the wait).
  [[nodiscard]] bool released() const noexcept { return released_; }

 private:
  condition_variable& cv_;
  mutex& mutex_;
  detail::deferred_waiter waiter_;
  bool released_ = false;
};

namespace {
task<void> relock(mutex& m) {
  co_await m.lock();
}
}  // namespace

condition_variable::~condition_variable() {
  std::lock_guard guard{lock_};
  WEFT_CHECK(waiters_.empty(), "weft::condition_variable destroyed while a waiter still waits");
}

void condition_variable::notify_one() noexcept {
  waiter* w = nullptr;
  {
    std::lock_guard guard{lock_};
    w = waiters_.pop_front();
  }
  if (w != nullptr) w->wake();
}

void condition_variable::notify_all() noexcept {
  waiter* woken = nullptr;
  {
    std::lock_guard guard{lock_};
    woken = waiters_.take_all();
  }
  waiter::wake_chain(woken);
}

task<void> condition_variable::wait(mutex& m) {
  bool cancelled = false;
  unlock_and_wait waiting{*this, m};
  try {
    co_await waiting;
  } catch (const operation_cancelled&) {
    cancelled = true;
  }
  // The caller holds `m` on entry and must hold it on exit, whatever happened: re-lock without
  // listening to the stop token. If the stop came before we queued, `m` was never released.
  if (waiting.released()) co_await with_stop_token(relock(m), std::stop_token{});
  if (cancelled) throw operation_cancelled{};
}

bool condition_variable::blocking_wait_until(mutex& m,
                                             std::chrono::steady_clock::time_point deadline) {
  waiter self;
  {
    std::lock_guard guard{lock_};
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  m.unlock();
  bool notified = self.block_until_or_withdraw(lock_, waiters_, deadline);
  m.blocking_lock();
  return notified;
}

void condition_variable::blocking_wait(mutex& m) {
  waiter self;
  {
    std::lock_guard guard{lock_};
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  m.unlock();
  self.block();
  m.blocking_lock();
}

}  // namespace weft

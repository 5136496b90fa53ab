#include <weft/event.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

event::~event() {
  std::lock_guard guard{lock_};
  WEFT_CHECK(waiters_.empty(), "weft::event destroyed while a waiter still waits on it");
}

bool event::try_wait_locked() noexcept {
  if (!set_.load(std::memory_order_relaxed)) return false;
  if (mode_ == mode::auto_reset) set_.store(false, std::memory_order_relaxed);
  return true;
}

bool event::try_wait() noexcept {
  if (!set_.load(std::memory_order_acquire)) return false;
  if (mode_ == mode::manual_reset) return true;
  std::lock_guard guard{lock_};
  return try_wait_locked();
}

void event::set() {
  waiter* released = nullptr;
  {
    std::lock_guard guard{lock_};
    if (mode_ == mode::auto_reset) {
      released = waiters_.pop_front();
      if (released == nullptr) set_.store(true, std::memory_order_release);
    } else {
      set_.store(true, std::memory_order_release);
      released = waiters_.take_all();
    }
  }
  waiter::wake_chain(released);  // step 2 of the protocol: after the lock is released
}

void event::reset() noexcept {
  std::lock_guard guard{lock_};
  set_.store(false, std::memory_order_release);
}

void event::blocking_wait() {
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (try_wait_locked()) return;
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  self.block();
}

bool event::blocking_wait_for(std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (try_wait_locked()) return true;
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  return self.block_until_or_withdraw(lock_, waiters_, deadline);
}

}  // namespace weft

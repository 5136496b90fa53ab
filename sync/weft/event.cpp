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
  // Released waiters are chained through `next` once unlinked (no list owns them any more, so a
  // concurrent stop request sees them as woken).
  waiter* released = nullptr;
  {
    std::lock_guard guard{lock_};
    if (mode_ == mode::auto_reset) {
      released = waiters_.pop_front();
      if (released == nullptr) set_.store(true, std::memory_order_release);
    } else {
      set_.store(true, std::memory_order_release);
      waiter** tail = &released;
      while (waiter* w = waiters_.pop_front()) {
        *tail = w;
        tail = &w->next;
      }
    }
  }
  // Step 2 of the protocol: wake after the lock is released; touch nothing of a waiter after it.
  while (released != nullptr) {
    waiter* w = released;
    released = w->next;
    w->wake();
  }
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
  if (self.block_until(deadline)) return true;
  {
    std::lock_guard guard{lock_};
    if (waiters_.remove(&self)) return false;  // timed out, nobody released us
  }
  self.block();  // released just as we timed out: wait for the wake to land, then take it
  return true;
}

}  // namespace weft

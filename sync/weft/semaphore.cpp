#include <weft/semaphore.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

semaphore_permit& semaphore_permit::operator=(semaphore_permit&& other) noexcept {
  if (this != &other) {
    release();
    semaphore_ = std::exchange(other.semaphore_, nullptr);
  }
  return *this;
}

void semaphore_permit::release() noexcept {
  if (semaphore* s = std::exchange(semaphore_, nullptr)) s->release();
}

semaphore::~semaphore() {
  std::lock_guard guard{lock_};
  WEFT_CHECK(waiters_.empty(), "weft::semaphore destroyed while a waiter still waits on it");
}

bool semaphore::try_acquire() noexcept {
  std::lock_guard guard{lock_};
  if (permits_ == 0 || !waiters_.empty()) return false;  // no overtaking of queued waiters
  --permits_;
  return true;
}

std::size_t semaphore::available() const noexcept {
  std::lock_guard guard{lock_};
  return permits_;
}

void semaphore::release(std::size_t count) noexcept {
  waiter* woken = nullptr;
  waiter** tail = &woken;
  {
    std::lock_guard guard{lock_};
    for (; count > 0; --count) {
      waiter* w = waiters_.pop_front();
      if (w == nullptr) break;
      *tail = w;  // the permit goes straight to the waiter; woken in FIFO order below
      tail = &w->next;
    }
    permits_ += count;
  }
  waiter::wake_chain(woken);
}

void semaphore::blocking_acquire() {
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (permits_ > 0 && waiters_.empty()) {
      --permits_;
      return;
    }
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  self.block();
}

bool semaphore::blocking_try_acquire_for(std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (permits_ > 0 && waiters_.empty()) {
      --permits_;
      return true;
    }
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  return self.block_until_or_withdraw(lock_, waiters_, deadline);  // true: given a permit
}

}  // namespace weft

#include <weft/mutex.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

mutex_guard& mutex_guard::operator=(mutex_guard&& other) noexcept {
  if (this != &other) {
    unlock();
    mutex_ = std::exchange(other.mutex_, nullptr);
  }
  return *this;
}

mutex_guard::~mutex_guard() {
  unlock();
}

void mutex_guard::unlock() noexcept {
  if (mutex* m = std::exchange(mutex_, nullptr)) m->unlock();
}

mutex::~mutex() {
  std::lock_guard guard{lock_};
  WEFT_CHECK(waiters_.empty(), "weft::mutex destroyed while coroutines or threads wait for it");
  WEFT_CHECK(!locked_, "weft::mutex destroyed while locked");
}

bool mutex::try_lock() noexcept {
  std::lock_guard guard{lock_};
  if (locked_) return false;
  locked_ = true;
  return true;
}

void mutex::unlock() noexcept {
  waiter* next = nullptr;
  {
    std::lock_guard guard{lock_};
    WEFT_CHECK(locked_, "weft::mutex::unlock of a mutex that is not locked");
    next = waiters_.pop_front();
    if (next == nullptr) locked_ = false;  // else: handed over, still locked, to `next`
  }
  if (next != nullptr) next->wake();
}

void mutex::blocking_lock() {
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (!locked_) {
      locked_ = true;
      return;
    }
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  self.block();
}

bool mutex::blocking_try_lock_for(std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (!locked_) {
      locked_ = true;
      return true;
    }
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  return self.block_until_or_withdraw(lock_, waiters_, deadline);  // true: handed the mutex
}

}  // namespace weft

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
  WEFT_CHECK(state_.load(std::memory_order_relaxed) == free, "weft::mutex destroyed while locked");
}

bool mutex::try_lock() noexcept {
  std::uint8_t expected = free;
  return state_.compare_exchange_strong(expected, held, std::memory_order_acquire,
                                        std::memory_order_relaxed);
}

bool mutex::acquire_or_mark_contended() noexcept {
  if (state_.exchange(contended, std::memory_order_acquire) != free) return false;
  // It was free and is ours now; say `held` again unless someone is already queued.
  if (waiters_.empty()) state_.store(held, std::memory_order_relaxed);
  return true;
}

void mutex::unlock() noexcept {
  std::uint8_t expected = held;
  if (state_.compare_exchange_strong(expected, free, std::memory_order_release,
                                     std::memory_order_relaxed))
    return;  // nobody waits: the common case, one CAS
  WEFT_CHECK(expected != free, "weft::mutex::unlock of a mutex that is not locked");
  waiter* next = nullptr;
  {
    std::lock_guard guard{lock_};
    next = waiters_.pop_front();
    if (next == nullptr)
      state_.store(free, std::memory_order_release);  // the waiters left (cancelled)
    else if (waiters_.empty())
      state_.store(held, std::memory_order_relaxed);  // handed over; nobody else queued
    // else: still contended, handed over to `next`
  }
  if (next != nullptr) next->wake();
}

void mutex::blocking_lock() {
  if (try_lock()) return;
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (acquire_or_mark_contended()) return;
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  self.block();
}

bool mutex::blocking_try_lock_for(std::chrono::steady_clock::duration timeout) {
  if (try_lock()) return true;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (acquire_or_mark_contended()) return true;
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  return self.block_until_or_withdraw(lock_, waiters_, deadline);  // true: handed the mutex
}

}  // namespace weft

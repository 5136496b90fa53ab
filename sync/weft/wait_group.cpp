#include <weft/wait_group.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

wait_group::~wait_group() {
  std::lock_guard guard{lock_};
  WEFT_CHECK(waiters_.empty(), "weft::wait_group destroyed while a waiter still waits on it");
}

void wait_group::add(std::size_t n) noexcept {
  std::lock_guard guard{lock_};
  count_ += n;
}

std::size_t wait_group::count() const noexcept {
  std::lock_guard guard{lock_};
  return count_;
}

void wait_group::done(std::size_t n) noexcept {
  waiter* woken = nullptr;
  {
    std::lock_guard guard{lock_};
    WEFT_CHECK(count_ >= n, "weft::wait_group::done() called more often than add()");
    count_ -= n;
    if (count_ == 0) woken = waiters_.take_all();
  }
  waiter::wake_chain(woken);
}

void wait_group::blocking_wait() {
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (count_ == 0) return;
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  self.block();
}

bool wait_group::blocking_wait_for(std::chrono::steady_clock::duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  waiter self;
  {
    std::lock_guard guard{lock_};
    if (count_ == 0) return true;
    self.prepare_thread();
    waiters_.push_back(&self);
  }
  return self.block_until_or_withdraw(lock_, waiters_, deadline);
}

}  // namespace weft

#include <weft/waker.hpp>

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace weft {
namespace {

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value,
           const timespec* timeout) noexcept {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr,
                   0);
}

// The spin policy's state (waker.hpp), per thread: whether this thread's last spin found work.
thread_local bool last_spin_found_work = false;

}  // namespace

namespace detail {

std::chrono::nanoseconds spin_window(std::chrono::nanoseconds base) noexcept {
  return last_spin_found_work ? base * long_spin_factor : base;
}

void spin_ended(bool found_work) noexcept {
  last_spin_found_work = found_work;
}

void spin_yielder::due(std::chrono::steady_clock::time_point now) noexcept {
  if (now < next_) return;
  ::sched_yield();
  next_ = now + spin_yield_interval;
}

}  // namespace detail

void waiter::wake() noexcept {
  if (!is_thread_) {
    resume_on(home_, item_);
    return;
  }
  word_.store(1, std::memory_order_release);
  // The thread may return as soon as it sees the store; waking a futex whose memory is gone is
  // harmless (the kernel only hashes the address).
  futex(&word_, FUTEX_WAKE_PRIVATE, 1, nullptr);
}

void waiter::block() noexcept {
  for (int spin = 0; spin < 2000; ++spin) {
    if (word_.load(std::memory_order_acquire) != 0) return;
    __builtin_ia32_pause();
  }
  while (word_.load(std::memory_order_acquire) == 0)
    futex(&word_, FUTEX_WAIT_PRIVATE, 0, nullptr);
}

bool waiter::block_until(std::chrono::steady_clock::time_point deadline) noexcept {
  for (int spin = 0; spin < 2000; ++spin) {
    if (word_.load(std::memory_order_acquire) != 0) return true;
    __builtin_ia32_pause();
  }
  while (word_.load(std::memory_order_acquire) == 0) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec relative{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    futex(&word_, FUTEX_WAIT_PRIVATE, 0, &relative);
  }
  return true;
}

bool waiter::block_until_or_withdraw(detail::spin_lock& lock, waiter_list& list,
                                     std::chrono::steady_clock::time_point deadline) noexcept {
  if (block_until(deadline)) return true;
  {
    std::lock_guard guard{lock};
    if (list.remove(this)) return false;
  }
  block();  // woken just as the time ran out: wait until the waker is done with us
  return true;
}

void waiter::wake_chain(waiter* first) noexcept {
  while (first != nullptr) {
    waiter* next = first->next;  // read before waking: the waiter may be gone right after
    first->wake();
    first = next;
  }
}

waiter* waiter_list::take_all() noexcept {
  waiter* first = nullptr;
  waiter** tail = &first;
  while (waiter* w = pop_front()) {
    *tail = w;
    tail = &w->next;
  }
  return first;
}

void waiter_list::push_back(waiter* w) noexcept {
  w->next = nullptr;
  w->prev = tail_;
  if (tail_ != nullptr)
    tail_->next = w;
  else
    head_ = w;
  tail_ = w;
  w->linked = true;
}

waiter* waiter_list::pop_front() noexcept {
  waiter* w = head_;
  if (w != nullptr) remove(w);
  return w;
}

bool waiter_list::remove(waiter* w) noexcept {
  if (!w->linked) return false;
  (w->prev != nullptr ? w->prev->next : head_) = w->next;
  (w->next != nullptr ? w->next->prev : tail_) = w->prev;
  w->next = w->prev = nullptr;
  w->linked = false;
  return true;
}

}  // namespace weft

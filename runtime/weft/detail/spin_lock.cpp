#include <weft/detail/spin_lock.hpp>

#include <sched.h>

namespace weft::detail {

void spin_lock::lock_contended() noexcept {
  // ~64 pauses is a few microseconds: far longer than any critical section the lock guards, so a
  // holder still running has finished by then; a holder that has not was preempted.
  constexpr int spins_before_yield = 64;
  for (int spins = 0;; ++spins) {
    if (!locked_.load(std::memory_order_relaxed) &&
        !locked_.exchange(true, std::memory_order_acquire))
      return;
    if (spins < spins_before_yield)
      __builtin_ia32_pause();
    else
      ::sched_yield();
  }
}

}  // namespace weft::detail

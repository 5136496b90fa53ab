#include <weft/detail/asymmetric_fence.hpp>

#include <weft/detail/fatal.hpp>

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace weft::detail {
namespace {

long membarrier(int command) noexcept {
  return ::syscall(SYS_membarrier, command, 0u, 0);
}

bool register_membarrier() noexcept {
  long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

}  // namespace

bool fence_is_membarrier() noexcept {
  static const bool registered = register_membarrier();
  return registered;
}

void heavy_fence() noexcept {
  // Our own fence comes first: the membarrier orders the other threads, not this one.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!fence_is_membarrier()) return;  // both sides use full fences
  if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return;
  // Registered, yet refused now (short of a kernel bug it cannot happen): the light side relies
  // on this call, so there is no safe way on.
  fatal_message("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration");
}

}  // namespace weft::detail

// weft/detail/asymmetric_fence.hpp — a full fence split between a frequent side and a rare side.
//
// A Dekker-style hand-shake (each of two threads stores to its own word, then loads the other's)
// needs a store→load fence on both sides, and on x86 that is a locked instruction costing ~20
// cycles. When one side runs all the time and the other almost never — a coroutine beginning or
// ending a wait against a stop request (promise_base.hpp) — the frequent side can get by with a
// compiler barrier (light_fence) if the rare side (heavy_fence) makes every running thread of the
// process execute a full fence: Linux membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) interrupts each
// CPU running one of our threads, and a thread not running went through a full fence when it was
// switched out. Then either the rare side's load sees the frequent side's store, or the frequent
// side's load sees the rare side's store, as with two full fences.
//
// Cost of heavy_fence on the 2-vCPU development VM: ~1 µs with no other thread of ours running,
// ~20 µs when one runs on the other vCPU (an inter-processor interrupt in a VM).
//
// Without membarrier (a kernel before 4.14, or a seccomp filter that refuses it) both sides fall
// back to std::atomic_thread_fence(seq_cst). Which mode applies is decided once, at first use, and
// both sides always agree on it.
#pragma once

#include <atomic>

namespace weft::detail {

/// Whether heavy_fence() is a membarrier (registered for this process at the first call).
[[nodiscard]] bool fence_is_membarrier() noexcept;

/// The frequent side: orders this thread's earlier stores before its later loads, against a
/// heavy_fence() on another thread. A compiler barrier when membarrier is available.
inline void light_fence() noexcept {
  static const bool membarrier = fence_is_membarrier();
  if (membarrier)
    std::atomic_signal_fence(std::memory_order_seq_cst);
  else
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

/// The rare side: a full fence on this thread that also serves as one on every other thread of the
/// process at the moment it runs (see above).
void heavy_fence() noexcept;

}  // namespace weft::detail

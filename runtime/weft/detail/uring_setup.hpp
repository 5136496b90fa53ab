// weft/detail/uring_setup.hpp — creating the ring: flag fallbacks, clear errors, the opcode probe.
#pragma once

#include <liburing.h>

#include <bitset>
#include <string>

namespace weft::detail {

struct uring_setup_result {
  std::string mode;          // which setup flags the kernel accepted, for the debug log
  std::bitset<256> opcodes;  // IORING_OP_* the kernel supports
  unsigned features = 0;     // IORING_FEAT_*
  bool disabled = false;     // created IORING_SETUP_R_DISABLED: enable it on the driving thread
};

/// Initialises `ring` with `entries` SQEs, trying SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN,
/// then no flags. A SINGLE_ISSUER ring is created disabled: the kernel binds it to the thread that
/// enables it (io_uring_enable_rings), which must be the thread that drives the loop. Throws
/// std::system_error whose message says why io_uring is unavailable and what to do about it.
uring_setup_result setup_ring(io_uring& ring, unsigned entries);

/// Enables a ring created disabled, binding a SINGLE_ISSUER ring to the calling thread. Throws
/// std::system_error on failure.
void enable_ring(io_uring& ring);

/// The message setup_ring puts in its exception for an io_uring_setup failure with `error` (errno).
std::string explain_setup_failure(int error);

}  // namespace weft::detail

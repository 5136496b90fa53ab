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
};

/// Initialises `ring` with `entries` SQEs, trying SINGLE_ISSUER|DEFER_TASKRUN, then COOP_TASKRUN,
/// then no flags. Throws std::system_error whose message says why io_uring is unavailable and what
/// to do about it.
uring_setup_result setup_ring(io_uring& ring, unsigned entries);

/// The message setup_ring puts in its exception for an io_uring_setup failure with `error` (errno).
std::string explain_setup_failure(int error);

}  // namespace weft::detail

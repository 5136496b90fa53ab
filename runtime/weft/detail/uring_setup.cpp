#include <weft/detail/uring_setup.hpp>

#include <fmt/format.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace weft::detail {

std::string explain_setup_failure(int error) {
  std::string reason;
  switch (error) {
    case ENOSYS:
      reason =
          "this kernel has no io_uring (it needs Linux 5.10 or newer built with CONFIG_IO_URING)";
      break;
    case EPERM:
      reason =
          "io_uring is not permitted here: the sysctl kernel.io_uring_disabled is set, or a "
          "seccomp "
          "profile blocks io_uring_setup (Docker's default profile does; run the container with a "
          "profile that allows io_uring_setup, io_uring_enter and io_uring_register)";
      break;
    case ENOMEM:
      reason =
          "the kernel could not allocate or lock memory for the ring: raise the locked-memory "
          "limit "
          "(ulimit -l, RLIMIT_MEMLOCK) or ask for fewer entries";
      break;
    case EOPNOTSUPP:
    case EINVAL:
      reason = "the kernel rejected every io_uring setup weft tries (it is too old or restricted)";
      break;
    case EMFILE:
    case ENFILE:
      reason = "no file descriptor left for the ring (raise RLIMIT_NOFILE or close files)";
      break;
    default:
      reason = std::strerror(error);
  }
  return fmt::format("weft: cannot create an io_uring instance: {} (io_uring_setup: {})", reason,
                     std::strerror(error));
}

void enable_ring(io_uring& ring) {
  // Debian's liburing 2.3 declares io_uring_enable_rings but does not export it: register directly.
  if (::syscall(__NR_io_uring_register, ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0)
    throw std::system_error(errno, std::system_category(),
                            "weft: io_loop: enabling the ring (IORING_REGISTER_ENABLE_RINGS)");
}

uring_setup_result setup_ring(io_uring& ring, unsigned entries) {
  struct attempt {
    unsigned flags;
    const char* mode;
  };
  static constexpr attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED,
       "SINGLE_ISSUER|DEFER_TASKRUN"},
      {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
      {0, "default"},
  };
  int error = 0;
  for (const attempt& a : attempts) {
    io_uring_params params{};
    // A completion queue four times the submission queue: completions outrun submissions when
    // one SQE (a multishot accept or recv) yields many CQEs. Overflow beyond it is still kept by
    // the kernel (IORING_FEAT_NODROP) and flushed by the loop.
    params.flags = a.flags | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    params.cq_entries = entries * 4;
    int result = io_uring_queue_init_params(entries, &ring, &params);
    if (result == 0) {
      uring_setup_result setup;
      setup.mode = a.mode;
      setup.features = params.features;
      setup.disabled = (a.flags & IORING_SETUP_R_DISABLED) != 0;
      if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
        for (int op = 0; op < probe->last_op + 1 && op < 256; ++op)
          if (io_uring_opcode_supported(probe, op)) setup.opcodes.set(static_cast<std::size_t>(op));
        io_uring_free_probe(probe);
      }
      return setup;
    }
    error = -result;
    // Unknown flags are refused with EINVAL: try the next, simpler setup. Anything else (no
    // io_uring at all, not permitted, no memory) will not improve with other flags.
    if (error != EINVAL) break;
  }
  throw std::system_error(error, std::system_category(), explain_setup_failure(error));
}

}  // namespace weft::detail

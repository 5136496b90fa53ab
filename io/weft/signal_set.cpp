#include <weft/detail/fatal.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/io_error.hpp>
#include <weft/signal_set.hpp>
#include <weft/uring_op.hpp>

#include <fmt/format.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <stdexcept>

namespace weft {

namespace {

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signal);
}

}  // namespace

signal_set::signal_set(std::initializer_list<int> signals) : owner_(std::this_thread::get_id()) {
  ::sigemptyset(&signals_);
  ::sigemptyset(&newly_blocked_);
  for (int signal : signals) {
    if (signal == SIGKILL || signal == SIGSTOP)
      throw std::invalid_argument(
          fmt::format("signal_set: {} cannot be caught", signal_name(signal)));
    if (::sigaddset(&signals_, signal) != 0)
      throw std::invalid_argument(fmt::format("signal_set: {} is not a signal", signal));
  }
  sigset_t before;
  ::pthread_sigmask(SIG_BLOCK, &signals_, &before);
  for (int signal : signals)
    if (::sigismember(&before, signal) == 0) ::sigaddset(&newly_blocked_, signal);
  int fd = ::signalfd(-1, &signals_, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    int error = errno;
    ::pthread_sigmask(SIG_UNBLOCK, &newly_blocked_, nullptr);
    throw_errno(error, "signalfd for " + describe());
  }
  fd_.reset(fd);
}

signal_set::~signal_set() {
  WEFT_CHECK(std::this_thread::get_id() == owner_,
             "signal_set for {} destroyed on another thread than the one that blocked them",
             describe());
  fd_.reset();
  ::pthread_sigmask(SIG_UNBLOCK, &newly_blocked_, nullptr);
}

std::string signal_set::describe() const {
  std::string names;
  for (int signal = 1; signal < NSIG; ++signal) {
    if (!contains(signal)) continue;
    if (!names.empty()) names += ", ";
    names += signal_name(signal);
  }
  return names;
}

task<int> signal_set::wait() {
  WEFT_CHECK(std::this_thread::get_id() == owner_,
             "signal_set for {} awaited on another thread than the one that blocked them",
             describe());
  signalfd_siginfo info{};  // in the frame: lives until the CQE, also after a cancel
  const int fd = fd_.get();
  for (;;) {
    // The descriptor is non-blocking, so the read runs in this thread's context (never on an
    // io-wq worker, which would see other pending signals). Kernels whose signalfd supports
    // io_uring's internal poll complete the read when a signal arrives; older ones answer
    // EAGAIN at once, and then a poll through the ring waits for readability.
    int result = co_await uring_op(
        [fd, &info](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, &info, sizeof info, -1); });
    if (result == static_cast<int>(sizeof info)) co_return static_cast<int>(info.ssi_signo);
    if (result != -EAGAIN) {
      if (result < 0) throw_errno(-result, "read signalfd for " + describe());
      throw_errno(EIO, fmt::format("read signalfd for {}: {} bytes", describe(), result));
    }
    co_await detail::io_op([fd](io_uring_sqe* sqe) { io_uring_prep_poll_add(sqe, fd, POLLIN); },
                           [this] { return "poll signalfd for " + describe(); });
  }
}

}  // namespace weft

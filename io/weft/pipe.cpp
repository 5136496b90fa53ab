#include <weft/io_error.hpp>
#include <weft/pipe.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <mutex>

namespace weft {

std::string detail::pipe_end::describe(std::string_view operation) const {
  return fmt::format("{} pipe fd {}", operation, fd_.get());
}

pipe_ends pipe() {
  detail::ignore_sigpipe_once();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe");
  return {pipe_reader{unique_fd{fds[0]}}, pipe_writer{unique_fd{fds[1]}}};
}

namespace detail {

void ignore_sigpipe_once() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      ::sigemptyset(&ignore.sa_mask);
      ::sigaction(SIGPIPE, &ignore, nullptr);
    }
  });
}

}  // namespace detail

}  // namespace weft

#include <weft/io_error.hpp>
#include <weft/stream_socket.hpp>

#include <fmt/format.h>

#include <cerrno>

namespace weft {

void stream_socket::shutdown(shutdown_direction direction) {
  if (::shutdown(fd_.get(), static_cast<int>(direction)) != 0)
    throw_errno(errno, describe("shutdown"));
}

std::string stream_socket::describe(std::string_view operation) const {
  if (peer_.family() == AF_UNSPEC) return socket_base::describe(operation);
  return fmt::format("{} {}", operation, peer_.to_string());
}

task<stream_socket> connect(socket_address address) {
  unique_fd fd = detail::open_socket(address.family(), SOCK_STREAM,
                                     fmt::format("socket for {}", address.to_string()));
  co_await detail::io_op(
      [fd = fd.get(), &address](io_uring_sqe* sqe) {
        io_uring_prep_connect(sqe, fd, address.data(), address.size());
      },
      [&address] { return fmt::format("connect to {}", address.to_string()); });
  co_return stream_socket{std::move(fd), std::move(address)};
}

std::pair<stream_socket, stream_socket> stream_socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno(errno, "socketpair(AF_UNIX, SOCK_STREAM)");
  return {stream_socket{unique_fd{fds[0]}}, stream_socket{unique_fd{fds[1]}}};
}

}  // namespace weft

#include <weft/io_error.hpp>
#include <weft/listener.hpp>
#include <weft/sleep.hpp>

#include <fmt/format.h>
#include <netinet/in.h>

#include <cerrno>
#include <system_error>

namespace weft {

listener listener::bind(socket_address address, listen_options options) {
  unique_fd fd = detail::open_socket(address.family(), SOCK_STREAM,
                                     fmt::format("socket for {}", address.to_string()));
  listener result{std::move(fd), options.resource_backoff};
  bool internet = address.family() == AF_INET || address.family() == AF_INET6;
  if (internet && options.reuse_address) result.set_reuse_address(true);
  if (internet && options.reuse_port) result.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
  if (address.family() == AF_INET6) result.set_option(IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6_only);
  if (::bind(result.native_handle(), address.data(), address.size()) != 0)
    throw_errno(errno, fmt::format("bind to {}", address.to_string()));
  if (::listen(result.native_handle(), options.backlog) != 0)
    throw_errno(errno, fmt::format("listen on {}", address.to_string()));
  return result;
}

task<stream_socket> listener::accept() {
  if (io_loop* loop = io_loop::current(); loop != nullptr && loop->now() < retry_after_)
    co_await sleep_until(retry_after_);
  socket_address peer;  // written by the kernel; lives in this frame until the CQE
  *peer.size_pointer() = socket_address::capacity();
  try {
    int fd = co_await detail::io_op(
        [fd = fd_.get(), &peer](io_uring_sqe* sqe) {
          io_uring_prep_accept(sqe, fd, peer.data(), peer.size_pointer(), SOCK_CLOEXEC);
        },
        [this] { return describe("accept on"); });
    co_return stream_socket{unique_fd{fd}, std::move(peer)};
  } catch (const std::system_error& error) {
    int code = error.code().category() == std::system_category() ? error.code().value() : 0;
    if (code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM)
      retry_after_ = io_loop::current()->now() + backoff_;
    throw;
  }
}

}  // namespace weft

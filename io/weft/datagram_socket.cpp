#include <weft/datagram_socket.hpp>
#include <weft/io_error.hpp>

#include <fmt/format.h>
#include <sys/uio.h>

#include <cerrno>

namespace weft {

datagram_socket datagram_socket::bind(socket_address address) {
  datagram_socket result{detail::open_socket(address.family(), SOCK_DGRAM,
                                             fmt::format("socket for {}", address.to_string()))};
  if (::bind(result.native_handle(), address.data(), address.size()) != 0)
    throw_errno(errno, fmt::format("bind to {}", address.to_string()));
  return result;
}

datagram_socket datagram_socket::open(int family) {
  return datagram_socket{
      detail::open_socket(family, SOCK_DGRAM, fmt::format("datagram socket of family {}", family))};
}

void datagram_socket::connect(const socket_address& peer) {
  if (::connect(native_handle(), peer.data(), peer.size()) != 0)
    throw_errno(errno, fmt::format("connect datagram socket to {}", peer.to_string()));
}

task<std::size_t> datagram_socket::send_to(std::span<const std::byte> data, socket_address peer) {
  // The message header and the address live in this frame until the CQE.
  iovec vector{const_cast<std::byte*>(data.data()), data.size()};
  msghdr message{};
  message.msg_name = peer.data();
  message.msg_namelen = peer.size();
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  co_return co_await detail::transfer_op(
      [fd = fd_.get(), &message](io_uring_sqe* sqe) {
        io_uring_prep_sendmsg(sqe, fd, &message, MSG_NOSIGNAL);
      },
      [this, &peer] { return describe(fmt::format("send_to {} from", peer.to_string())); });
}

task<datagram_socket::received> datagram_socket::recv_from(std::span<std::byte> buffer) {
  socket_address from;
  iovec vector{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_name = from.data();
  message.msg_namelen = socket_address::capacity();
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  std::size_t size = co_await detail::transfer_op(
      [fd = fd_.get(), &message](io_uring_sqe* sqe) {
        io_uring_prep_recvmsg(sqe, fd, &message, 0);
      },
      [this] { return describe("recv_from on"); });
  *from.size_pointer() = message.msg_namelen;
  co_return received{size, std::move(from)};
}

std::pair<datagram_socket, datagram_socket> datagram_socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno(errno, "socketpair(AF_UNIX, SOCK_DGRAM)");
  return {datagram_socket{unique_fd{fds[0]}}, datagram_socket{unique_fd{fds[1]}}};
}

}  // namespace weft

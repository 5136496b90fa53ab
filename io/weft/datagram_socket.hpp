// weft/datagram_socket.hpp — UDP (IPv4/IPv6) and Unix datagram sockets.
//
// Each send is one datagram; each receive takes one datagram (a buffer smaller than the datagram
// gets its first bytes and the rest is discarded, as recv(2) does — size buffers for the largest
// datagram expected).
#pragma once

#include <weft/byte_stream.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/detail/socket_base.hpp>
#include <weft/socket_address.hpp>
#include <weft/task.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

namespace weft {

class datagram_socket : public detail::socket_base {
 public:
  datagram_socket() noexcept = default;
  explicit datagram_socket(unique_fd fd) noexcept : socket_base(std::move(fd)) {}

  /// A socket bound to `address` (port 0: the kernel picks one; see local_address()).
  [[nodiscard]] static datagram_socket bind(socket_address address);
  /// An unbound socket of `family` (AF_INET, AF_INET6, AF_UNIX); the kernel binds it on first send.
  [[nodiscard]] static datagram_socket open(int family);

  /// Sets the default destination, and receives only from it (connect(2); no packet is sent).
  void connect(const socket_address& peer);

  struct received {
    std::size_t size;     ///< bytes of the datagram stored in the buffer
    socket_address from;  ///< who sent it
  };

  /// `co_await s.send_to(data, peer)` → bytes sent (the whole datagram, or an error such as
  /// EMSGSIZE). `co_await s.recv_from(buffer)` → received{size, from}.
  ///   Resumes on: the loop thread.
  ///   Cancellation: ASYNC_CANCEL; operation_cancelled unless the datagram had already moved, in
  ///     which case the result is returned.
  [[nodiscard]] task<std::size_t> send_to(std::span<const std::byte> data, socket_address peer);
  [[nodiscard]] task<std::size_t> send_to(std::string_view text, socket_address peer) {
    return send_to(std::as_bytes(std::span{text.data(), text.size()}), std::move(peer));
  }
  [[nodiscard]] task<received> recv_from(std::span<std::byte> buffer);

  /// On a connected socket: `co_await s.send(data)` / `co_await s.recv(buffer)` → bytes (as above).
  [[nodiscard]] auto send(std::span<const std::byte> data) {
    return detail::transfer_op(
        [fd = fd_.get(), data](io_uring_sqe* sqe) {
          io_uring_prep_send(sqe, fd, data.data(), std::min(data.size(), max_transfer),
                             MSG_NOSIGNAL);
        },
        [this] { return describe("send to"); });
  }
  [[nodiscard]] auto recv(std::span<std::byte> buffer) {
    return detail::transfer_op(
        [fd = fd_.get(), buffer](io_uring_sqe* sqe) {
          io_uring_prep_recv(sqe, fd, buffer.data(), std::min(buffer.size(), max_transfer), 0);
        },
        [this] { return describe("recv from"); });
  }
};

/// Two connected Unix datagram sockets (socketpair(2)).
[[nodiscard]] std::pair<datagram_socket, datagram_socket> datagram_socket_pair();

}  // namespace weft

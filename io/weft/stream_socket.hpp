// weft/stream_socket.hpp — a connected TCP or Unix stream socket, and how to get one.
//
// Every operation runs through the loop's ring and must be awaited on a loop thread. Sends use
// MSG_NOSIGNAL: a peer that has gone away yields EPIPE (a std::system_error), never SIGPIPE.
#pragma once

#include <weft/byte_stream.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/detail/socket_base.hpp>
#include <weft/socket_address.hpp>
#include <weft/task.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <utility>

namespace weft {

enum class shutdown_direction { receive = SHUT_RD, send = SHUT_WR, both = SHUT_RDWR };

class stream_socket : public detail::socket_base, public byte_stream_ops<stream_socket> {
 public:
  stream_socket() noexcept = default;
  /// Adopts a connected stream socket; `peer` (when known) names it in error messages, which
  /// getpeername(2) can no longer do once the connection is reset.
  explicit stream_socket(unique_fd fd, socket_address peer = {}) noexcept
      : socket_base(std::move(fd)), peer_(std::move(peer)) {}

  /// `co_await s.read_some(buffer)` (recv)
  ///   Yields: the number of bytes received (std::size_t), 0 once the peer has shut down sending.
  ///   Resumes on: the loop thread, after the CQE.
  ///   Cancellation: ASYNC_CANCEL; throws operation_cancelled unless bytes had already arrived,
  ///     which are then returned. `buffer` must outlive the co_await (it does in the frame).
  /// Throws std::system_error "recv from <peer>: <reason>" (ECONNRESET, ...).
  [[nodiscard]] auto read_some(std::span<std::byte> buffer) {
    return detail::transfer_op(
        [fd = fd_.get(), buffer](io_uring_sqe* sqe) {
          io_uring_prep_recv(sqe, fd, buffer.data(), std::min(buffer.size(), max_transfer), 0);
        },
        [this] { return describe("recv from"); });
  }
  /// `co_await s.write_some(data)` (send, MSG_NOSIGNAL)
  ///   Yields: the number of bytes the kernel accepted (≥ 1).
  ///   Resumes on / cancellation: as read_some.
  /// Throws std::system_error "send to <peer>: <reason>" (EPIPE, ECONNRESET, ...).
  [[nodiscard]] auto write_some(std::span<const std::byte> data) {
    return detail::transfer_op(
        [fd = fd_.get(), data](io_uring_sqe* sqe) {
          io_uring_prep_send(sqe, fd, data.data(), std::min(data.size(), max_transfer),
                             MSG_NOSIGNAL);
        },
        [this] { return describe("send to"); });
  }
  [[nodiscard]] auto recv(std::span<std::byte> buffer) { return read_some(buffer); }
  [[nodiscard]] auto send(std::span<const std::byte> data) { return write_some(data); }
  /// write_all and read_exact under the names socket programmers look for.
  [[nodiscard]] auto send_all(std::span<const std::byte> data) { return write_all(data); }
  [[nodiscard]] auto send_all(std::string_view text) { return write_all(text); }
  [[nodiscard]] auto recv_exact(std::span<std::byte> buffer) { return read_exact(buffer); }

  /// shutdown(2): half-close. After `send`, the peer reads end of stream once it has read
  /// everything sent before; this side can still receive.
  void shutdown(shutdown_direction direction);

  /// TCP_NODELAY: send small writes at once instead of coalescing them (Nagle).
  void set_no_delay(bool on) { set_option(IPPROTO_TCP, TCP_NODELAY, on); }

  /// "<operation> <peer>", for error messages.
  [[nodiscard]] std::string describe(std::string_view operation) const;

 private:
  socket_address peer_;
};

/// `co_await weft::connect(address)`
///   Yields: a stream_socket connected to `address` (TCP for IPv4/IPv6, Unix stream for AF_UNIX).
///   Resumes on: the loop thread.
///   Cancellation: ASYNC_CANCEL; operation_cancelled, the half-made socket closed. For a time
///     limit wrap it: `co_await weft::timeout(weft::connect(address), 2s)` → weft::timed_out.
/// Throws std::system_error "connect to 127.0.0.1:9: Connection refused".
[[nodiscard]] task<stream_socket> connect(socket_address address);

/// Two connected Unix stream sockets (socketpair(2)): a full-duplex in-process channel.
[[nodiscard]] std::pair<stream_socket, stream_socket> stream_socket_pair();

}  // namespace weft

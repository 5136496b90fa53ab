// weft/detail/socket_base.hpp — what every socket type shares: the descriptor, its addresses and
// options. Not for users to name: they use stream_socket, listener and datagram_socket.
#pragma once

#include <weft/socket_address.hpp>
#include <weft/task.hpp>
#include <weft/unique_fd.hpp>

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace weft::detail {

/// Creates a socket of `family`/`type` (close-on-exec), or throws "<what>: <reason>".
[[nodiscard]] unique_fd open_socket(int family, int type, std::string_view what);

/// "<operation> <peer, or local address, or fd N>", asking the kernel for the addresses.
[[nodiscard]] std::string describe_socket(int fd, std::string_view operation);

class socket_base {
 public:
  [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(fd_); }

  /// getsockname(2); throws on failure.
  [[nodiscard]] socket_address local_address() const;
  /// getpeername(2); throws on failure (e.g. ENOTCONN).
  [[nodiscard]] socket_address peer_address() const;

  /// setsockopt(2) with an int value; throws "setsockopt <name> on <socket>: <reason>".
  void set_option(int level, int name, int value);
  /// getsockopt(2) of an int value.
  [[nodiscard]] int get_option(int level, int name) const;
  void set_reuse_address(bool on) { set_option(SOL_SOCKET, SO_REUSEADDR, on); }
  void set_keep_alive(bool on) { set_option(SOL_SOCKET, SO_KEEPALIVE, on); }
  void set_receive_buffer_size(int bytes) { set_option(SOL_SOCKET, SO_RCVBUF, bytes); }
  void set_send_buffer_size(int bytes) { set_option(SOL_SOCKET, SO_SNDBUF, bytes); }

  /// Closes the socket through the ring (see unique_fd::close).
  [[nodiscard]] task<void> close() { return fd_.close(); }

  /// "<operation> <peer or local address, or fd N>", for error messages.
  [[nodiscard]] std::string describe(std::string_view operation) const;

 protected:
  socket_base() noexcept = default;
  explicit socket_base(unique_fd fd) noexcept : fd_(std::move(fd)) {}

  unique_fd fd_;
};

}  // namespace weft::detail

// weft/listener.hpp — a listening TCP or Unix stream socket that accepts connections.
#pragma once

#include <weft/detail/socket_base.hpp>
#include <weft/io_loop.hpp>
#include <weft/socket_address.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task.hpp>

#include <sys/socket.h>

#include <chrono>

namespace weft {

struct listen_options {
  /// listen(2)'s backlog: connections the kernel completes before accept() takes them.
  int backlog = SOMAXCONN;
  /// SO_REUSEADDR (IPv4/IPv6): rebind at once after a restart, despite TIME_WAIT connections.
  bool reuse_address = true;
  /// SO_REUSEPORT: several listeners (e.g. one per loop) share the port; the kernel balances.
  bool reuse_port = false;
  /// IPV6_V6ONLY for an IPv6 listener; when false, "::" also accepts IPv4 connections.
  bool ipv6_only = false;
  /// After accept fails for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), the
  /// next accept waits this long before it tries again, so that an accept loop which logs the
  /// error and carries on does not spin while the process is out of descriptors.
  std::chrono::milliseconds resource_backoff{50};
};

class listener : public detail::socket_base {
 public:
  listener() noexcept = default;

  /// socket + bind + listen. A Unix path must not exist yet (EADDRINUSE otherwise).
  /// Throws std::system_error "bind to 0.0.0.0:80: Permission denied", "listen on ...".
  [[nodiscard]] static listener bind(socket_address address, listen_options options = {});

  /// `co_await l.accept()`
  ///   Yields: the next connection, as a stream_socket.
  ///   Resumes on: the loop thread.
  ///   Cancellation: ASYNC_CANCEL; operation_cancelled. If the connection arrived anyway, it is
  ///     returned (a caller that then drops it closes it — no descriptor leaks).
  /// Throws std::system_error "accept on 127.0.0.1:8080: Too many open files"; after such a
  /// resource error the next accept first waits options.resource_backoff (see listen_options).
  [[nodiscard]] task<stream_socket> accept();

 private:
  explicit listener(unique_fd fd, std::chrono::milliseconds backoff) noexcept
      : socket_base(std::move(fd)), backoff_(backoff) {}

  std::chrono::milliseconds backoff_{0};
  io_loop::clock::time_point retry_after_{};
};

}  // namespace weft

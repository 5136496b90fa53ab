// weft/listener.hpp — a listening TCP or Unix stream socket that accepts connections.
#pragma once

#include <weft/detail/socket_base.hpp>
#include <weft/io_loop.hpp>
#include <weft/socket_address.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task.hpp>

#include <sys/socket.h>

#include <chrono>
#include <utility>

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

class listener;
namespace detail {
class accept_source;
}

/// The connections arriving on a listener, from one multishot accept: the kernel keeps accepting
/// without a new SQE per connection. Get one from listener::incoming(). Loop thread only; the
/// listener must outlive it. Dropping it cancels the accept; connections accepted but not taken
/// are closed.
class connection_stream {
 public:
  connection_stream() noexcept = default;
  connection_stream(connection_stream&& other) noexcept
      : listener_(other.listener_), source_(std::exchange(other.source_, nullptr)) {}
  connection_stream& operator=(connection_stream&& other) noexcept;
  ~connection_stream();

  /// `co_await connections.next()`
  ///   Yields: the next accepted connection, as a stream_socket.
  ///   Resumes on: the loop thread.
  ///   Cancellation: operation_cancelled; the accept stays armed, and a connection that arrives
  ///     meanwhile is yielded by the next call (or closed when the stream is dropped).
  /// Throws std::system_error "accept on 127.0.0.1:8080: Too many open files"; the accept is
  /// re-armed by the next call, after the listener's resource_backoff for such resource errors.
  [[nodiscard]] task<stream_socket> next();

 private:
  friend class listener;
  connection_stream(listener& owner, detail::accept_source* source) noexcept
      : listener_(&owner), source_(source) {}

  listener* listener_ = nullptr;
  detail::accept_source* source_ = nullptr;
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

  /// A multishot accept: connections as they arrive, one SQE for all of them (Linux 5.19 or
  /// later; older kernels report EINVAL from next()). Must be called on a loop thread.
  [[nodiscard]] connection_stream incoming();

 private:
  friend class connection_stream;
  /// After a resource error: the next accept waits until backoff_ has passed.
  void note_accept_error(int error);
  task<void> wait_out_backoff();

  explicit listener(unique_fd fd, std::chrono::milliseconds backoff) noexcept
      : socket_base(std::move(fd)), backoff_(backoff) {}

  std::chrono::milliseconds backoff_{0};
  io_loop::clock::time_point retry_after_{};
};

}  // namespace weft

#include <weft/detail/fatal.hpp>
#include <weft/detail/multishot.hpp>
#include <weft/io_error.hpp>
#include <weft/listener.hpp>
#include <weft/sleep.hpp>

#include <fmt/format.h>
#include <netinet/in.h>

#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>
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

void listener::note_accept_error(int error) {
  if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM)
    retry_after_ = io_loop::current()->now() + backoff_;
}

task<void> listener::wait_out_backoff() {
  if (io_loop* loop = io_loop::current(); loop != nullptr && loop->now() < retry_after_)
    co_await sleep_until(retry_after_);
}

task<stream_socket> listener::accept() {
  co_await wait_out_backoff();
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
    if (error.code().category() == std::system_category()) note_accept_error(error.code().value());
    throw;
  }
}

namespace detail {

// The multishot accept behind connection_stream. No address buffer: one would be overwritten by
// every connection before the consumer read it, so a socket's peer is asked for when needed.
class accept_source final : public multishot_source {
 public:
  accept_source(io_loop& loop, int fd) : multishot_source(loop, 16), fd_(fd) {}

 private:
  void prepare(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  bool carries_resource(const multishot_record& record) const noexcept override {
    return record.result >= 0;
  }
  void discard(const multishot_record& record) noexcept override {
    ::close(record.result);  // not through the ring: no SQE from inside a completion
  }

  int fd_;
};

}  // namespace detail

connection_stream listener::incoming() {
  io_loop* loop = io_loop::current();
  if (loop == nullptr) throw std::logic_error("weft: listener::incoming() off a loop thread");
  return connection_stream{*this, new detail::accept_source(*loop, fd_.get())};
}

connection_stream& connection_stream::operator=(connection_stream&& other) noexcept {
  if (this != &other) {
    if (source_ != nullptr) source_->release();
    listener_ = other.listener_;
    source_ = std::exchange(other.source_, nullptr);
  }
  return *this;
}

connection_stream::~connection_stream() {
  if (source_ != nullptr) source_->release();
}

task<stream_socket> connection_stream::next() {
  WEFT_CHECK(source_ != nullptr, "next() on an empty connection_stream");
  co_await listener_->wait_out_backoff();
  std::optional<detail::multishot_record> record = co_await source_->next();
  WEFT_CHECK(record.has_value(), "a multishot accept ended");
  if (record->result >= 0) co_return stream_socket{unique_fd{record->result}};
  int error = -record->result;
  listener_->note_accept_error(error);
  throw_errno(error, listener_->describe(error == EINVAL
                                             ? "accept (multishot, needs Linux 5.19 or later) on"
                                             : "accept on"));
}

}  // namespace weft

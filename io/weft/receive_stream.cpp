#include <weft/receive_stream.hpp>

#include <weft/detail/buffer_ring_state.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/io_error.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace weft {
namespace detail {

class receive_source final : public multishot_source, public buffer_ring_client {
 public:
  receive_source(int fd, buffer_ring_state& ring, std::size_t pause_at)
      : multishot_source(ring.loop(), pause_at), fd_(fd), ring_(ring), reports_inq_(is_tcp(fd)) {
    ring_.add_ref();
  }

  // What a record means to the consumer; see receive_stream::next().
  std::optional<provided_buffer> convert(const multishot_record& record) {
    if (record.result > 0)
      return ring_.take(record.flags, static_cast<std::uint32_t>(record.result));
    if (record.result == 0) {
      mark_ended();
      return std::nullopt;
    }
    const char* operation =
        record.result == -EINVAL ? "recv (multishot, needs Linux 6.0 or later) from" : "recv from";
    throw_errno(-record.result, describe_socket(fd_, operation));
  }

 private:
  ~receive_source() override {
    ring_.unpark(this);
    ring_.drop_ref();
  }

  void prepare(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = ring_.group();
  }
  void arrived(const multishot_record& record) noexcept override {
    if (carries_resource(record)) ring_.filled();
  }
  bool carries_resource(const multishot_record& record) const noexcept override {
    return (record.flags & IORING_CQE_F_BUFFER) != 0;
  }
  void discard(const multishot_record& record) noexcept override {
    ring_.give_back(static_cast<std::uint16_t>(record.flags >> IORING_CQE_BUFFER_SHIFT));
  }
  bool starved(int result) noexcept override {
    if (result != -ENOBUFS) return false;
    ring_.park(this);
    return true;
  }
  void buffers_available() noexcept override { rearm_later(); }
  bool burst_continues(const multishot_record& record) noexcept override {
    // The kernel retries at once while the socket is known to hold more, or when the protocol
    // does not say (it reports nothing for msg_inq): the latter never sets the flag, so until a
    // delivery has shown that this socket reports it, every delivery counts.
    if ((record.flags & IORING_CQE_F_SOCK_NONEMPTY) != 0) {
      reports_inq_ = true;
      return true;
    }
    return !reports_inq_;
  }

  static bool is_tcp(int fd) noexcept {
    int domain = 0;
    int type = 0;
    socklen_t length = sizeof domain;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0) return false;
    length = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) return false;
    return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM;
  }

  int fd_;
  buffer_ring_state& ring_;
  // The socket's deliveries say whether more is queued (TCP and Unix stream sockets do): known
  // for TCP from the start, learnt from the first IORING_CQE_F_SOCK_NONEMPTY otherwise.
  bool reports_inq_;
};

}  // namespace detail

receive_stream::receive_stream(const stream_socket& socket, const buffer_ring& buffers,
                               options opts) {
  WEFT_CHECK(buffers.state() != nullptr, "receive_stream on an empty buffer_ring handle");
  WEFT_CHECK(io_loop::current() == &buffers.loop(),
             "receive_stream created off the loop thread its buffer_ring belongs to");
  source_ = new detail::receive_source(socket.native_handle(), *buffers.state(), opts.pause_at);
}

receive_stream& receive_stream::operator=(receive_stream&& other) noexcept {
  if (this != &other) {
    if (source_ != nullptr) source_->release();
    source_ = std::exchange(other.source_, nullptr);
  }
  return *this;
}

receive_stream::~receive_stream() {
  if (source_ != nullptr) source_->release();
}

receive_stream::next_awaiter receive_stream::next() {
  WEFT_CHECK(source_ != nullptr, "next() on an empty receive_stream");
  return next_awaiter{*source_, *source_};
}

std::optional<provided_buffer> receive_stream::next_awaiter::await_resume() {
  std::optional<detail::multishot_record> record = inner_.await_resume();
  if (!record) return std::nullopt;
  return receive_.convert(*record);
}

}  // namespace weft

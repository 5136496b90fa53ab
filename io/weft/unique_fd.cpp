#include <weft/cancellation.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/io_loop.hpp>
#include <weft/unique_fd.hpp>

#include <fmt/format.h>
#include <liburing.h>
#include <unistd.h>

#include <cerrno>

namespace weft {

namespace {

// The CQE of a close queued by a destructor: nobody waits for it, but the loop counts it as in
// flight so that shutdown submits it and waits for it instead of dropping it with the ring.
struct detached_close final : detail::uring_completion {
  detached_close() {
    on_cqe = [](detail::uring_completion*, int, std::uint32_t) noexcept {
      io_loop::current()->operation_finished();
    };
  }
};
detached_close detached_close_completion;

task<void> close_on_ring(int fd) {
  co_await detail::io_op([fd](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); },
                         [fd] { return fmt::format("close fd {}", fd); });
}

}  // namespace

void unique_fd::reset(int fd) noexcept {
  int old = std::exchange(fd_, fd);
  if (old < 0) return;
  if (io_loop* loop = io_loop::current(); loop != nullptr) {
    io_uring_sqe* sqe = loop->acquire_sqe();
    io_uring_prep_close(sqe, old);
    io_uring_sqe_set_data(sqe, static_cast<detail::uring_completion*>(&detached_close_completion));
    loop->operation_started();
  } else {
    ::close(old);  // EINTR still closed the descriptor on Linux: never retry
  }
}

task<void> unique_fd::close() {
  int fd = release();
  if (fd < 0) co_return;
  if (io_loop::current() == nullptr) {
    if (::close(fd) != 0 && errno != EINTR) throw_errno(errno, fmt::format("close fd {}", fd));
    co_return;
  }
  co_await with_stop_token(close_on_ring(fd), std::stop_token{});
}

}  // namespace weft

// weft/pipe.hpp — the two ends of a pipe, usable on the loop.
//
// SIGPIPE: a write to a pipe whose reader is gone raises SIGPIPE, whose default action kills the
// process. weft::pipe() therefore sets SIGPIPE to "ignore" for the process, once, if it is still
// at its default (a handler someone installed is left alone): such a write then fails with EPIPE,
// reported as a std::system_error. Child processes started by weft get the default back.
#pragma once

#include <weft/byte_stream.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/unique_fd.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace weft {

namespace detail {

/// What both ends of a pipe share: the descriptor and how errors name it.
class pipe_end {
 public:
  [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(fd_); }
  /// Gives the descriptor up (e.g. to a child process's stdin).
  [[nodiscard]] unique_fd release() noexcept { return std::move(fd_); }
  [[nodiscard]] task<void> close() { return fd_.close(); }
  [[nodiscard]] std::string describe(std::string_view operation) const;

 protected:
  pipe_end() noexcept = default;
  explicit pipe_end(unique_fd fd) noexcept : fd_(std::move(fd)) {}
  unique_fd fd_;
};

}  // namespace detail

/// The read end of a pipe (or of any readable, non-seekable descriptor it adopts).
class pipe_reader : public detail::pipe_end, public byte_stream_ops<pipe_reader> {
 public:
  pipe_reader() noexcept = default;
  explicit pipe_reader(unique_fd fd) noexcept : pipe_end(std::move(fd)) {}

  /// `co_await r.read_some(buffer)`
  ///   Yields: bytes read (std::size_t); 0 once every write end is closed and the pipe is empty.
  ///   Resumes on: the loop thread. Cancellation: ASYNC_CANCEL; operation_cancelled unless bytes
  ///     had already been read, which are then returned.
  [[nodiscard]] auto read_some(std::span<std::byte> buffer) {
    return detail::transfer_op(
        [fd = fd_.get(), buffer](io_uring_sqe* sqe) {
          io_uring_prep_read(sqe, fd, buffer.data(),
                             static_cast<unsigned>(std::min(buffer.size(), max_transfer)), -1);
        },
        [this] { return describe("read from"); });
  }
};

/// The write end of a pipe (or of any writable, non-seekable descriptor it adopts).
class pipe_writer : public detail::pipe_end, public byte_stream_ops<pipe_writer> {
 public:
  pipe_writer() noexcept = default;
  explicit pipe_writer(unique_fd fd) noexcept : pipe_end(std::move(fd)) {}

  /// `co_await w.write_some(data)`
  ///   Yields: bytes written (std::size_t, >= 1). Throws "write to pipe fd N: Broken pipe" once
  ///     the read end is closed.
  ///   Resumes on / cancellation: as pipe_reader::read_some.
  [[nodiscard]] auto write_some(std::span<const std::byte> data) {
    return detail::transfer_op(
        [fd = fd_.get(), data](io_uring_sqe* sqe) {
          io_uring_prep_write(sqe, fd, data.data(),
                              static_cast<unsigned>(std::min(data.size(), max_transfer)), -1);
        },
        [this] { return describe("write to"); });
  }
};

struct pipe_ends {
  pipe_reader reader;
  pipe_writer writer;
};

/// pipe2(O_CLOEXEC): a new pipe. Ignores SIGPIPE for the process (see the top of this file).
/// Throws std::system_error "pipe: Too many open files".
[[nodiscard]] pipe_ends pipe();

namespace detail {
/// Sets SIGPIPE to SIG_IGN if it is at SIG_DFL; once per process.
void ignore_sigpipe_once() noexcept;
}  // namespace detail

}  // namespace weft

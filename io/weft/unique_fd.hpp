// weft/unique_fd.hpp — a file descriptor that is closed exactly once.
//
// Ownership: one unique_fd owns one descriptor; moves transfer it, copies do not exist. The
// descriptor is closed by `co_await fd.close()` (which reports a failing close, e.g. EIO after a
// write-back error on NFS) or, failing that, by the destructor: through the ring when the
// destructor runs on a loop thread (no syscall of its own; the loop waits for that close before
// it shuts down), with ::close(2) otherwise. A close through the ring happens at the loop's next
// submission, not before the destructor returns: code that must see the descriptor gone at once
// (an fcntl check, a descriptor count) should `co_await close()` instead. Either way the value is
// cleared first, so a descriptor is never closed twice — closing twice could close a descriptor
// that another thread has just been given.
#pragma once

#include <weft/task.hpp>

#include <utility>

namespace weft {

class unique_fd {
 public:
  unique_fd() noexcept = default;
  /// Takes ownership of `fd` (-1 for none).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives the descriptor up without closing it.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the current descriptor (as the destructor does) and takes `fd`.
  void reset(int fd = -1) noexcept;

  /// `co_await fd.close()`
  ///   Yields: nothing; throws std::system_error "close fd N: <reason>" if the kernel reports a
  ///     failure (the descriptor is released either way — POSIX leaves no retry).
  ///   Resumes on: the calling loop thread (closed through the ring), or, off a loop, at once
  ///     (::close).
  ///   Cancellation: none: a close always happens, so a stop request cannot leak the descriptor.
  /// A no-op when empty.
  [[nodiscard]] task<void> close();

 private:
  int fd_ = -1;
};

}  // namespace weft

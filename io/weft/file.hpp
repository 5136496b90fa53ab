// weft/file.hpp — files on the loop: open, positional and streaming reads and writes, sync, stat,
// and whole-file helpers (read_file, write_file with an atomic replace).
//
// Threading model: every operation goes through the ring of the loop the awaiting coroutine runs
// on, and must be awaited on a loop thread (awaiting one elsewhere aborts with a message). Reads of
// data in the page cache complete inside the submission; the kernel hands reads that must wait for
// the disk, and opens, syncs and renames that would block, to its own worker threads, so the loop
// thread never blocks on the disk. (Kernels without IORING_OP_OPENAT, STATX or RENAMEAT get the
// plain syscall on the loop thread instead, probed per loop.)
//
// Ownership: a `file` owns its descriptor (a unique_fd, opened O_CLOEXEC) and keeps the path it was
// opened with, for error messages ("read /var/log/x: Input/output error"). `co_await f.close()`
// closes it and reports a failing close; otherwise the destructor closes it (through the ring on a
// loop thread; the loop waits for that close before it shuts down).
//
// Every buffer passed to an operation must stay alive until its co_await finishes — which it does
// when it lives in the awaiting coroutine's frame — also when the operation is cancelled: a cancel
// is a request, and the coroutine resumes only after the kernel is done with the buffer.
//
// Directories: POSIX lets open(2) of a directory for reading succeed, and the first read then
// fails with EISDIR. file::open refuses it up front instead: a read-only open checks the type of
// what it opened (one fstat(2) of the new descriptor: attributes already in memory after the open)
// and throws "open /tmp: Is a directory". Opens for writing are refused by the kernel itself.
#pragma once

#include <weft/byte_stream.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/task.hpp>
#include <weft/unique_fd.hpp>

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// How file::open opens a file; combine with `|`:
///   `open_mode::read`                                            an existing file, for reading
///   `open_mode::write | open_mode::create | open_mode::truncate`  a new or emptied file
///   `open_mode::write | open_mode::create | open_mode::append`    a log file
/// Exactly as open(2), plus two rules that turn mistakes into EINVAL instead of surprises: a mode
/// must contain read or write (or both: `read_write`), and truncate and append need write.
/// O_CLOEXEC is always added.
enum class open_mode : unsigned {
  read = 1U << 0,                ///< O_RDONLY (O_RDWR together with write)
  write = 1U << 1,               ///< O_WRONLY (O_RDWR together with read)
  read_write = read | write,     ///< O_RDWR
  create = 1U << 2,              ///< O_CREAT: create the file if it does not exist
  truncate = 1U << 3,            ///< O_TRUNC: empty an existing file
  append = 1U << 4,              ///< O_APPEND: every write goes to the end (write_at too, on Linux)
  exclusive = create | 1U << 5,  ///< O_CREAT|O_EXCL: create, failing with EEXIST if it exists
};

[[nodiscard]] constexpr open_mode operator|(open_mode a, open_mode b) noexcept {
  return static_cast<open_mode>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
/// Whether `mode` contains every flag of `flags`.
[[nodiscard]] constexpr bool has(open_mode mode, open_mode flags) noexcept {
  return (static_cast<unsigned>(mode) & static_cast<unsigned>(flags)) ==
         static_cast<unsigned>(flags);
}

/// What stat() reports (from statx(2)).
struct file_status {
  std::uint64_t size = 0;  ///< in bytes; 0 for many files in /proc and /sys, whatever they hold
  std::filesystem::file_type type = std::filesystem::file_type::unknown;
  std::filesystem::perms permissions = std::filesystem::perms::none;  ///< mode & 07777
  std::chrono::system_clock::time_point modified;                     ///< mtime, in ns
};

namespace detail {
template <bool Writing>
struct file_offset_steps;
}  // namespace detail

/// An open file. read_some/write_some work at the file position (so buffered_stream and the
/// byte_stream_ops loops work over a file); read_at/write_at at an explicit offset, leaving the
/// position alone (several may be in flight at once).
class file : public byte_stream_ops<file> {
 public:
  file() noexcept = default;
  /// Adopts an open descriptor; `path` is only used to name the file in error messages.
  file(unique_fd fd, std::string path) noexcept : fd_(std::move(fd)), path_(std::move(path)) {}

  /// `co_await file::open("/etc/hosts", open_mode::read)`
  ///   Yields: the open file (O_CLOEXEC; `permissions`, less the umask, for a file it creates).
  ///   Resumes on: the loop thread (IORING_OP_OPENAT; ::openat on kernels without it).
  ///   Cancellation: ASYNC_CANCEL; operation_cancelled. An open that completed anyway hands back
  ///     its file — or, if the caller is gone, closes it: a cancelled open never leaks a
  ///     descriptor.
  /// Throws std::system_error "open /no/such/file: No such file or directory"; "open /tmp: Is a
  /// directory" for a directory (see the top of this file); EINVAL for a mode that breaks the rules
  /// of open_mode.
  [[nodiscard]] static task<file> open(std::string path, open_mode mode, mode_t permissions = 0644);

  [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
  [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(fd_); }
  /// The path the file was opened with (kept after close, for messages).
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// Gives the descriptor up without closing it.
  [[nodiscard]] unique_fd release() noexcept { return std::move(fd_); }

  /// `co_await f.read_some(buffer)` — read(2) at the file position, which it advances.
  ///   Yields: bytes read (std::size_t), 0 at end of file. At most 0x7ffff000 bytes at once.
  ///   Resumes on: the loop thread, after the CQE.
  ///   Cancellation: ASYNC_CANCEL; operation_cancelled unless bytes had already been read, which
  ///     are then returned.
  /// Throws std::system_error "read /path: <reason>".
  [[nodiscard]] auto read_some(std::span<std::byte> buffer) {
    return detail::transfer_op(
        [fd = fd_.get(), buffer](io_uring_sqe* sqe) {
          io_uring_prep_read(sqe, fd, buffer.data(), clamp(buffer.size()), at_position);
        },
        [this] { return describe("read"); });
  }
  /// `co_await f.write_some(data)` — write(2) at the file position (at the end with append).
  ///   Yields: bytes written (std::size_t, >= 1 for non-empty data).
  ///   Resumes on / Cancellation: as read_some. Throws "write /path: No space left on device".
  [[nodiscard]] auto write_some(std::span<const std::byte> data) {
    return detail::transfer_op(
        [fd = fd_.get(), data](io_uring_sqe* sqe) {
          io_uring_prep_write(sqe, fd, data.data(), clamp(data.size()), at_position);
        },
        [this] { return describe("write"); });
  }

  /// `co_await f.read_at(buffer, offset)` — pread(2): the position is neither used nor moved.
  ///   Yields: bytes read (std::size_t), fewer than asked near the end of the file, 0 at or past
  ///   it. Resumes on / Cancellation: as read_some. Throws "read /path at offset N: <reason>".
  [[nodiscard]] auto read_at(std::span<std::byte> buffer, std::uint64_t offset) {
    return detail::transfer_op(
        [fd = fd_.get(), buffer, offset](io_uring_sqe* sqe) {
          io_uring_prep_read(sqe, fd, buffer.data(), clamp(buffer.size()), offset);
        },
        [this, offset] { return describe_at("read", offset); });
  }
  /// `co_await f.write_at(data, offset)` — pwrite(2). A file opened with append writes at the end
  /// whatever the offset (Linux's pwrite on O_APPEND).
  ///   Yields: bytes written (std::size_t). Resumes on / Cancellation: as read_some.
  [[nodiscard]] auto write_at(std::span<const std::byte> data, std::uint64_t offset) {
    return detail::transfer_op(
        [fd = fd_.get(), data, offset](io_uring_sqe* sqe) {
          io_uring_prep_write(sqe, fd, data.data(), clamp(data.size()), offset);
        },
        [this, offset] { return describe_at("write", offset); });
  }

  /// `co_await f.write_all_at(data, offset)`: write_at until every byte is written (short writes).
  ///   Yields: nothing. Resumes on: the loop thread.
  ///   Cancellation: stops between or during writes; how much was written is then unknown.
  ///   No allocation: the writes are chained by one awaiter, as in write_all.
  [[nodiscard]] auto write_all_at(std::span<const std::byte> data, std::uint64_t offset);
  [[nodiscard]] auto write_all_at(std::string_view text, std::uint64_t offset);
  /// `co_await f.read_exact_at(buffer, offset)`: read_at until `buffer` is full. The end of the
  /// file before that throws io_errc::unexpected_eof ("read /path at offset N: 3 of 10 bytes
  /// arrived: unexpected end of stream"). Resumes on / Cancellation: as write_all_at.
  [[nodiscard]] auto read_exact_at(std::span<std::byte> buffer, std::uint64_t offset);

  /// `co_await f.sync()` — fsync(2): data and metadata on stable storage.
  /// `co_await f.sync_data()` — fdatasync(2): data, and only the metadata needed to read it back.
  ///   Yields: nothing of use (an int, always 0).
  ///   Resumes on: the loop thread (IORING_OP_FSYNC, run by a kernel worker).
  ///   Cancellation: ASYNC_CANCEL; operation_cancelled if the sync had not started (one that has
  ///     started runs to the end). Throws "fsync /path: Input/output error" (a lost write-back).
  [[nodiscard]] auto sync() {
    return detail::io_op([fd = fd_.get()](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, 0); },
                         [this] { return describe("fsync"); });
  }
  [[nodiscard]] auto sync_data() {
    return detail::io_op(
        [fd = fd_.get()](io_uring_sqe* sqe) {
          io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        },
        [this] { return describe("fdatasync"); });
  }

  /// `co_await f.stat()` — statx(2) of the open file (IORING_OP_STATX; the syscall on kernels
  /// without it). Yields: its file_status. Resumes on / Cancellation: as read_some.
  [[nodiscard]] task<file_status> stat() const;
  /// `co_await f.size()`: stat().size.
  [[nodiscard]] task<std::uint64_t> size() const;

  /// `co_await f.close()`
  ///   Yields: nothing; throws std::system_error "close /path: <reason>" if the kernel reports a
  ///     failure (the descriptor is released either way).
  ///   Resumes on: the loop thread (closed through the ring).
  ///   Cancellation: none: the close always happens.
  /// A no-op once closed (or released): closing twice is harmless.
  [[nodiscard]] task<void> close();

  /// "<operation> <path>", for error messages: describe("read") → "read /tmp/x".
  [[nodiscard]] std::string describe(std::string_view operation) const;

 private:
  // What io_uring's read/write take for "at the file position".
  static constexpr std::uint64_t at_position = static_cast<std::uint64_t>(-1);
  // The SQE's length is 32-bit: ask for at most weft::max_transfer (byte_stream.hpp) at once.
  static unsigned clamp(std::size_t size) noexcept {
    return static_cast<unsigned>(std::min(size, max_transfer));
  }
  [[nodiscard]] std::string describe_at(std::string_view operation, std::uint64_t offset) const;
  template <bool Writing>
  friend struct detail::file_offset_steps;

  unique_fd fd_;
  std::string path_;
};

namespace detail {

/// The steps of write_all_at (write_at) and read_exact_at (read_at): the offset moves on by what
/// each step transferred.
template <bool Writing>
struct file_offset_steps {
  using bytes = std::conditional_t<Writing, std::span<const std::byte>, std::span<std::byte>>;

  file* target;
  std::uint64_t offset;

  auto step(bytes rest, std::size_t done) const {
    if constexpr (Writing)
      return target->write_at(rest, offset + done);
    else
      return target->read_at(rest, offset + done);
  }

  [[noreturn]] void no_progress(std::size_t done, std::size_t total) const {
    // A write that accepts nothing: never seen for a regular file and non-empty data.
    if constexpr (Writing)
      throw_errno(EIO, target->describe_at("write", offset + done));
    else
      throw_io_error(io_errc::unexpected_eof, target->describe_at("read", offset) + ": " +
                                                  std::to_string(done) + " of " +
                                                  std::to_string(total) + " bytes arrived");
  }
};

}  // namespace detail

inline auto file::write_all_at(std::span<const std::byte> data, std::uint64_t offset) {
  using steps = detail::file_offset_steps<true>;
  return detail::transfer_all_awaiter<steps>{steps{this, offset}, data};
}
inline auto file::write_all_at(std::string_view text, std::uint64_t offset) {
  return write_all_at(std::as_bytes(std::span{text.data(), text.size()}), offset);
}
inline auto file::read_exact_at(std::span<std::byte> buffer, std::uint64_t offset) {
  using steps = detail::file_offset_steps<false>;
  return detail::transfer_all_awaiter<steps>{steps{this, offset}, buffer};
}

/// `co_await weft::stat("/etc/hosts")` — statx(2) of a path, following symbolic links.
///   Yields: its file_status. Resumes on: the loop thread. Cancellation: ASYNC_CANCEL;
///   operation_cancelled. Throws "stat /no/such: No such file or directory".
[[nodiscard]] task<file_status> stat(std::string path);

/// `co_await weft::read_file("/etc/hosts")` / `co_await weft::read_text_file(path)`
///   Yields: the whole content of the file, as bytes or as a std::string. The size the file
///     reports is only a hint for the first buffer: reading goes on until end of file, so files
///     that grew meanwhile, and files in /proc and /sys that report size 0, come back whole.
///   Resumes on: the loop thread.
///   Cancellation: operation_cancelled; the file is closed.
/// Throws std::system_error naming the path ("open /x: No such file or directory", "read ...").
/// Reads any readable file (a FIFO, a character device ...) up to its end.
[[nodiscard]] task<std::vector<std::byte>> read_file(std::string path);
[[nodiscard]] task<std::string> read_text_file(std::string path);

/// How write_file writes.
struct write_options {
  /// Replace the file in one step: write a temporary file in the same directory (a unique name,
  /// ".<name>.tmp.XXXXXX", created exclusively), fsync it, then rename it over `path`. Readers see
  /// the old content or the new, never a mix or a partial file, and a crash leaves one or the
  /// other. The result is a new file: its permissions are `mode` less the umask (an old file's
  /// permissions and hard links are not carried over, and a symbolic link at `path` is replaced,
  /// not followed). On failure or cancellation before the rename, the temporary file is removed
  /// and the original is untouched.
  /// Without it, the file is opened with create|truncate and written in place: a failure can
  /// leave it partly written.
  bool atomic = false;
  /// Permissions for a file write_file creates (less the umask).
  mode_t mode = 0644;
  /// When write_file returns, content and name are on stable storage: the file is fsynced, and
  /// then its directory, so that the directory entry (a new file, a rename) survives a crash too.
  bool sync = false;
};

/// `co_await weft::write_file(path, data, {.atomic = true})`
///   Yields: nothing, once `data` is written (and closed; and synced if asked).
///   Resumes on: the loop thread.
///   Cancellation: operation_cancelled; an atomic write cancelled before its rename leaves the
///     original untouched and no temporary file (one cancelled after it has the new content).
/// Throws std::system_error naming the path: "open /ro/x: Permission denied", or, for an atomic
/// write, "create temporary file for /ro/x: Permission denied", "rename /d/.x.tmp.ab12Cd to /d/x:
/// ...". `data` must stay alive until the co_await finishes.
[[nodiscard]] task<void> write_file(std::string path, std::span<const std::byte> data,
                                    write_options options = {});
[[nodiscard]] inline task<void> write_file(std::string path, std::string_view text,
                                           write_options options = {}) {
  return write_file(std::move(path), std::as_bytes(std::span{text.data(), text.size()}), options);
}

}  // namespace weft

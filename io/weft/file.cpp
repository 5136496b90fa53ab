#include <weft/detail/fatal.hpp>
#include <weft/detail/io_op.hpp>
#include <weft/file.hpp>
#include <weft/io_error.hpp>
#include <weft/io_loop.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>

namespace weft {

namespace {

constexpr unsigned statx_mask = STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME;

// read_file's first buffer for a file whose size says nothing (0 in /proc and /sys, a FIFO, ...);
// it doubles as needed.
constexpr std::size_t unknown_size_buffer = 16 * 1024;
// read_file reads at most this much per operation: a read of cached data runs inside the
// submission, so one huge read would keep the loop's other coroutines waiting for the whole copy.
constexpr std::size_t read_file_chunk = 4 * 1024 * 1024;

io_loop& current_loop() {
  io_loop* loop = io_loop::current();
  WEFT_CHECK(loop != nullptr, "weft file operations must be awaited on a loop thread");
  return *loop;
}

int open_flags(open_mode mode, const std::string& path) {
  const bool read = has(mode, open_mode::read);
  const bool write = has(mode, open_mode::write);
  if (!read && !write)
    throw_errno(EINVAL,
                fmt::format("open {} with an open_mode naming neither read nor write", path));
  if (!write && (has(mode, open_mode::truncate) || has(mode, open_mode::append)))
    throw_errno(EINVAL, fmt::format("open {} for truncate or append without write", path));
  int flags = read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
  if (has(mode, open_mode::create)) flags |= O_CREAT;
  if (has(mode, open_mode::exclusive)) flags |= O_EXCL;
  if (has(mode, open_mode::truncate)) flags |= O_TRUNC;
  if (has(mode, open_mode::append)) flags |= O_APPEND;
  return flags;
}

// Opens `path` (O_CLOEXEC added) through the ring, or with ::openat on kernels without
// IORING_OP_OPENAT. The descriptor is owned from the instant the CQE's result is known, so an open
// that completed despite a cancel is closed rather than leaked. Failures throw "<what>: <reason>".
task<unique_fd> open_descriptor(std::string path, int flags, mode_t mode, std::string what) {
  flags |= O_CLOEXEC;
  if (current_loop().supports(IORING_OP_OPENAT)) {
    unique_fd fd{co_await detail::io_op(
        [&path, flags, mode](io_uring_sqe* sqe) {
          io_uring_prep_openat(sqe, AT_FDCWD, path.c_str(), flags, mode);
        },
        [&what] { return what; })};
    co_return fd;
  }
  int fd = ::openat(AT_FDCWD, path.c_str(), flags, mode);
  if (fd < 0) throw_errno(errno, what);
  co_return unique_fd{fd};
}

// For a descriptor just opened read-only: refuses a directory (EISDIR, "open <path>: Is a
// directory") and returns the size a regular file reports (0 for anything else).
std::uint64_t check_readable(int fd, const std::string& path) {
  struct ::stat status {};
  if (::fstat(fd, &status) != 0) throw_errno(errno, fmt::format("stat {}", path));
  if (S_ISDIR(status.st_mode)) throw_errno(EISDIR, fmt::format("open {}", path));
  return S_ISREG(status.st_mode) ? static_cast<std::uint64_t>(status.st_size) : 0;
}

std::filesystem::file_type type_of(unsigned mode) noexcept {
  using std::filesystem::file_type;
  switch (mode & S_IFMT) {
    case S_IFREG:
      return file_type::regular;
    case S_IFDIR:
      return file_type::directory;
    case S_IFLNK:
      return file_type::symlink;
    case S_IFBLK:
      return file_type::block;
    case S_IFCHR:
      return file_type::character;
    case S_IFIFO:
      return file_type::fifo;
    case S_IFSOCK:
      return file_type::socket;
    default:
      return file_type::unknown;
  }
}

file_status to_status(const struct ::statx& s) noexcept {
  file_status status;
  status.size = s.stx_size;
  status.type = type_of(s.stx_mode);
  status.permissions = static_cast<std::filesystem::perms>(s.stx_mode & 07777);
  auto since_epoch =
      std::chrono::seconds(s.stx_mtime.tv_sec) + std::chrono::nanoseconds(s.stx_mtime.tv_nsec);
  status.modified = std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch)};
  return status;
}

// statx(dirfd, path, flags) through the ring (or the syscall). `path` and `describe` belong to the
// caller, which awaits this at once.
template <class Describe>
task<file_status> statx_of(int dirfd, const char* path, int flags, Describe describe) {
  struct ::statx buffer {};
  if (current_loop().supports(IORING_OP_STATX)) {
    co_await detail::io_op(
        [&](io_uring_sqe* sqe) {
          io_uring_prep_statx(sqe, dirfd, path, flags, statx_mask, &buffer);
        },
        describe);
  } else if (::statx(dirfd, path, flags, statx_mask, &buffer) != 0) {
    throw_errno(errno, describe());
  }
  co_return to_status(buffer);
}

template <class Container>
task<Container> read_whole(std::string path) {
  unique_fd fd = co_await open_descriptor(path, O_RDONLY, 0, fmt::format("open {}", path));
  const std::uint64_t hint = check_readable(fd.get(), path);
  file f{std::move(fd), std::move(path)};
  // One byte more than the reported size, so that the read that finds the end needs no new
  // buffer; a file that grew meanwhile fills it and the buffer doubles.
  Container data;
  data.resize(hint > 0 ? static_cast<std::size_t>(hint) + 1 : unknown_size_buffer);
  std::size_t filled = 0;
  for (;;) {
    if (filled == data.size()) data.resize(data.size() * 2);
    std::span<std::byte> free_space = std::as_writable_bytes(std::span{data}).subspan(filled);
    std::size_t got =
        co_await f.read_some(free_space.first(std::min(free_space.size(), read_file_chunk)));
    if (got == 0) break;
    filled += got;
  }
  data.resize(filled);
  co_return data;  // the destructor closes the file through the ring: nothing to report
}

// "dir/name" → the directory to sync ("." for a bare name) and the prefix for a sibling's name.
struct path_parts {
  std::string directory;
  std::string name;
};
path_parts split(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// A name for a temporary file next to `path`: "<dir>/.<name>.tmp.XXXXXX" (six random letters and
// digits), the name cut so that the whole stays within NAME_MAX.
std::string temporary_name(const std::string& path, const std::string& name) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string temp = path.substr(0, path.size() - name.size());
  temp += '.';
  temp.append(name, 0, 200);
  temp += ".tmp.";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 6; ++i)
    temp += alphabet[pick(random)];
  return temp;
}

// Creates a new temporary file next to `path` (O_EXCL: never an existing file), retrying on the
// rare name collision.
task<file> create_temporary(std::string path, std::string name, mode_t mode) {
  for (int attempt = 0;; ++attempt) {
    std::string temp = temporary_name(path, name);
    unique_fd fd;
    try {
      fd = co_await open_descriptor(temp, O_WRONLY | O_CREAT | O_EXCL, mode,
                                    fmt::format("create temporary file for {}", path));
    } catch (const std::system_error& e) {
      if (e.code() == std::errc::file_exists && attempt < 100) continue;
      throw;
    }
    co_return file{std::move(fd), std::move(temp)};
  }
}

task<void> rename_file(std::string from, std::string to) {
  auto describe = [&] { return fmt::format("rename {} to {}", from, to); };
  if (current_loop().supports(IORING_OP_RENAMEAT)) {
    co_await detail::io_op(
        [&](io_uring_sqe* sqe) {
          io_uring_prep_renameat(sqe, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), 0);
        },
        describe);
  } else if (::rename(from.c_str(), to.c_str()) != 0) {
    throw_errno(errno, describe());
  }
}

// fsync(2) of a directory: makes the entries created or renamed in it durable.
task<void> sync_directory(std::string directory) {
  unique_fd fd = co_await open_descriptor(directory, O_RDONLY | O_DIRECTORY, 0,
                                          fmt::format("open directory {}", directory));
  file dir{std::move(fd), std::move(directory)};
  co_await dir.sync();
  co_await dir.close();
}

}  // namespace

task<file> file::open(std::string path, open_mode mode, mode_t permissions) {
  const int flags = open_flags(mode, path);
  unique_fd fd = co_await open_descriptor(path, flags, permissions, fmt::format("open {}", path));
  if ((flags & O_ACCMODE) == O_RDONLY) (void)check_readable(fd.get(), path);
  co_return file{std::move(fd), std::move(path)};
}

task<file_status> file::stat() const {
  co_return co_await statx_of(fd_.get(), "", AT_EMPTY_PATH, [this] { return describe("stat"); });
}

task<std::uint64_t> file::size() const {
  file_status status = co_await stat();
  co_return status.size;
}

task<void> file::close() {
  unique_fd fd = std::move(fd_);  // cleared first: a second close finds nothing to close
  if (!fd) co_return;
  std::error_code failure;
  try {
    co_await fd.close();
  } catch (const std::system_error& e) {
    failure = e.code();  // "close fd N": say which file instead
  }
  if (failure) throw std::system_error(failure, describe("close"));
}

std::string file::describe(std::string_view operation) const {
  return fmt::format("{} {}", operation, path_);
}

std::string file::describe_at(std::string_view operation, std::uint64_t offset) const {
  return fmt::format("{} {} at offset {}", operation, path_, offset);
}

task<file_status> stat(std::string path) {
  co_return co_await statx_of(AT_FDCWD, path.c_str(), 0,
                              [&path] { return fmt::format("stat {}", path); });
}

task<std::vector<std::byte>> read_file(std::string path) {
  return read_whole<std::vector<std::byte>>(std::move(path));
}

task<std::string> read_text_file(std::string path) {
  return read_whole<std::string>(std::move(path));
}

task<void> write_file(std::string path, std::span<const std::byte> data, write_options options) {
  path_parts parts = split(path);
  if (!options.atomic) {
    file f = co_await file::open(path, open_mode::write | open_mode::create | open_mode::truncate,
                                 options.mode);
    co_await f.write_all_at(data, 0);
    if (options.sync) co_await f.sync();
    co_await f.close();
    if (options.sync) co_await sync_directory(parts.directory);
    co_return;
  }
  if (parts.name.empty())
    throw_errno(path.empty() ? ENOENT : EISDIR, fmt::format("write {}", path));
  file temp = co_await create_temporary(path, parts.name, options.mode);
  bool renamed = false;
  try {
    co_await temp.write_all_at(data, 0);
    co_await temp.sync();  // the content is durable before the name points at it
    co_await temp.close();
    co_await rename_file(temp.path(), path);
    renamed = true;
    if (options.sync) co_await sync_directory(parts.directory);
  } catch (...) {
    // Failed or cancelled before the rename: the original was never touched; remove the
    // temporary (a plain syscall: no co_await in a handler, and it must happen even when
    // cancelled).
    if (!renamed) ::unlink(temp.path().c_str());
    throw;
  }
}

}  // namespace weft

#include <weft/buffered_stream.hpp>
#include <weft/file.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/timeout.hpp>
#include <weft/uring_op.hpp>
#include <weft/when_any.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft::file;
using weft::open_mode;
using weft::task;

namespace {

/// A fresh directory under /tmp (mkdtemp), removed with everything in it at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char name[] = "/tmp/weft-file-test-XXXXXX";
    if (::mkdtemp(name) == nullptr)
      throw std::system_error(errno, std::system_category(), "mkdtemp");
    path = name;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] std::string operator/(std::string_view name) const {
    return path + "/" + std::string(name);
  }
};

/// The names in `dir`, without "." and "..".
std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

/// How many descriptors the process has open.
std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

/// The file's content, read with plain syscalls (not through weft).
std::string slurp(const std::string& path) {
  std::string content;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "open " + path);
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    content.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return content;
}

void put(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "open " + path);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
}

std::span<const std::byte> bytes(std::string_view text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

std::string text(std::span<const std::byte> data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

/// One round trip through the ring: everything queued before it (a destructor's close) is done.
task<void> ring_round_trip() {
  co_await weft::uring_op([](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); });
}

}  // namespace

TEST_CASE("bytes written to a file with write_all come back from read_exact", "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    {
      file out =
          co_await file::open(path, open_mode::write | open_mode::create | open_mode::truncate);
      co_await out.write_all("hello, ");
      co_await out.write_all("file");  // at the position, after the first write
      co_await out.sync();
      co_await out.sync_data();
      co_await out.close();
    }
    file in = co_await file::open(path, open_mode::read);
    std::array<std::byte, 11> buffer{};
    co_await in.read_exact(buffer);
    CHECK(text(buffer) == "hello, file");
    std::array<std::byte, 4> more{};
    std::size_t at_end = co_await in.read_some(more);
    CHECK(at_end == 0);  // end of file
  }(dir / "round-trip"));
  CHECK(slurp(dir / "round-trip") == "hello, file");
}

TEST_CASE("read_at and write_at work at their offsets and leave the file position alone",
          "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    file f = co_await file::open(path, open_mode::read_write | open_mode::create);
    co_await f.write_all_at("abcdef", 0);
    std::size_t written = co_await f.write_at(bytes("XY"), 2);
    CHECK(written == 2);
    co_await f.write_all_at("!", 10);  // past the end: a hole of zeros in between

    std::array<std::byte, 2> two{};
    std::size_t got_two = co_await f.read_at(two, 4);
    CHECK(got_two == 2);
    CHECK(text(two) == "ef");
    std::array<std::byte, 8> eight{};
    std::size_t near_end = co_await f.read_at(eight, 8);
    CHECK(near_end == 3);  // short near the end
    CHECK(text(std::span{eight}.first(3)) == std::string("\0\0!", 3));
    std::size_t past_end = co_await f.read_at(eight, 11);
    CHECK(past_end == 0);  // at the end

    // Positional operations did not move the position: a streaming read starts at 0.
    std::array<std::byte, 6> start{};
    co_await f.read_exact(start);
    CHECK(text(start) == "abXYef");
  }(dir / "offsets"));
}

TEST_CASE("read_exact past the end of a file throws unexpected_eof saying how much arrived",
          "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "short";
  put(path, "abc");
  weft::run([](std::string path) -> task<void> {
    file f = co_await file::open(path, open_mode::read);
    std::array<std::byte, 10> buffer{};
    try {
      co_await f.read_exact(buffer);
      FAIL("read_exact read 10 bytes from a 3-byte file");
    } catch (const std::system_error& e) {
      CHECK(e.code() == weft::io_errc::unexpected_eof);
      CHECK(std::string(e.what()) ==
            "read " + path + ": 3 of 10 bytes arrived: unexpected end of stream");
    }
    try {
      co_await f.read_exact_at(std::span{buffer}.first(4), 1);
      FAIL("read_exact_at read 4 bytes at offset 1 of a 3-byte file");
    } catch (const std::system_error& e) {
      CHECK(e.code() == weft::io_errc::unexpected_eof);
      CHECK(std::string(e.what()) ==
            "read " + path + " at offset 1: 2 of 4 bytes arrived: unexpected end of stream");
    }
  }(path));
}

TEST_CASE("opening a missing file throws ENOENT naming the path", "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "no-such-file";
  weft::run([](std::string path) -> task<void> {
    try {
      file f = co_await file::open(path, open_mode::read);
      FAIL("opened a missing file");
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::no_such_file_or_directory);
      CHECK(e.code().category() == std::system_category());
      CHECK(std::string(e.what()) == "open " + path + ": No such file or directory");
    }
    CHECK_THROWS_WITH(co_await weft::read_file(path),
                      "open " + path + ": No such file or directory");
  }(path));
}

TEST_CASE("a directory opened as a file is refused at open with EISDIR", "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    const std::size_t before = open_descriptors();
    for (open_mode mode : {open_mode::read, open_mode::write, open_mode::read_write}) {
      try {
        file f = co_await file::open(path, mode);
        FAIL("opened a directory as a file");
      } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::is_a_directory);
        CHECK(std::string(e.what()) == "open " + path + ": Is a directory");
      }
    }
    CHECK_THROWS_WITH(co_await weft::read_text_file(path), "open " + path + ": Is a directory");
    co_await ring_round_trip();  // the refused descriptors' closes are done
    CHECK(open_descriptors() == before);
  }(dir.path));
}

TEST_CASE("an open_mode that names neither read nor write is refused with EINVAL", "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    CHECK_THROWS_MATCHES(co_await file::open(path, open_mode::create), std::system_error,
                         Catch::Predicate<std::system_error>([](const auto& e) {
                           return e.code() == std::errc::invalid_argument;
                         }));
    CHECK_THROWS_MATCHES(co_await file::open(path, open_mode::read | open_mode::truncate),
                         std::system_error, Catch::Predicate<std::system_error>([](const auto& e) {
                           return e.code() == std::errc::invalid_argument;
                         }));
  }(dir / "x"));
  CHECK(entries(dir.path).empty());  // nothing was created
}

TEST_CASE("exclusive creates a new file and refuses an existing one with EEXIST", "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    file f = co_await file::open(path, open_mode::write | open_mode::exclusive, 0600);
    co_await f.close();
    CHECK_THROWS_WITH(co_await file::open(path, open_mode::write | open_mode::exclusive),
                      "open " + path + ": File exists");
  }(dir / "new"));
}

TEST_CASE("append writes at the end of the file", "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "log";
  put(path, "one\n");
  weft::run([](std::string path) -> task<void> {
    file f = co_await file::open(path, open_mode::write | open_mode::append);
    co_await f.write_all("two\n");
  }(path));
  CHECK(slurp(path) == "one\ntwo\n");
}

TEST_CASE("stat reports the size, type, permissions and modification time", "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "sized";
  weft::run([](std::string path, std::string directory) -> task<void> {
    file f = co_await file::open(path, open_mode::write | open_mode::create, 0600);
    std::string content(1234, 'x');
    co_await f.write_all(content);
    weft::file_status status = co_await f.stat();
    CHECK(status.size == 1234);
    std::uint64_t size = co_await f.size();
    CHECK(size == 1234);
    CHECK(status.type == std::filesystem::file_type::regular);
    CHECK(status.permissions ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    struct ::stat plain {};
    REQUIRE(::stat(path.c_str(), &plain) == 0);
    // The modification time must be stat(2)'s, to the nanosecond (a value check, not a timing).
    auto since_epoch = status.modified.time_since_epoch();
    CHECK(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count() ==
          plain.st_mtim.tv_sec);
    CHECK((since_epoch - std::chrono::duration_cast<std::chrono::seconds>(since_epoch)).count() ==
          plain.st_mtim.tv_nsec);

    weft::file_status by_path = co_await weft::stat(path);
    CHECK(by_path.size == 1234);
    CHECK(by_path.modified == status.modified);
    weft::file_status directory_status = co_await weft::stat(directory);
    CHECK(directory_status.type == std::filesystem::file_type::directory);
    CHECK_THROWS_WITH(co_await weft::stat(directory + "/missing"),
                      "stat " + directory + "/missing: No such file or directory");
  }(path, dir.path));
}

TEST_CASE("read_file of /proc/self/status, whose size is 0, returns the whole content",
          "[io][file]") {
  weft::run([]() -> task<void> {
    weft::file_status proc_status = co_await weft::stat("/proc/self/status");
    CHECK(proc_status.size == 0);
    std::string status = co_await weft::read_text_file("/proc/self/status");
    CHECK(status.rfind("Name:", 0) == 0);                                      // the first line
    CHECK(status.find("\nnonvoluntary_ctxt_switches:") != std::string::npos);  // the last
    CHECK(status.back() == '\n');
    std::vector<std::byte> raw = co_await weft::read_file("/proc/self/status");
    CHECK(text(raw).rfind("Name:", 0) == 0);
  }());
}

TEST_CASE("read_file reads a source that reports no size to its end, however long", "[io][file]") {
  temp_dir dir;
  const std::string fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string sent;
  for (int i = 0; sent.size() < 300'000; ++i)
    sent += std::to_string(i) + '\n';
  std::thread writer{[&] {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // blocks until the reader opens
    for (std::size_t done = 0; fd >= 0 && done < sent.size();) {
      ssize_t n = ::write(fd, sent.data() + done, std::min<std::size_t>(sent.size() - done, 7000));
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    if (fd >= 0) ::close(fd);
  }};
  std::string received = weft::run(weft::read_text_file(fifo));
  writer.join();
  CHECK(received.size() == sent.size());
  CHECK(received == sent);
}

TEST_CASE("read_file returns a regular file whole, also an empty one", "[io][file]") {
  temp_dir dir;
  std::string big(1'000'003, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  put(dir / "big", big);
  put(dir / "empty", "");
  weft::run([](std::string big_path, std::string empty_path, std::string expected) -> task<void> {
    std::vector<std::byte> data = co_await weft::read_file(big_path);
    CHECK(data.size() == expected.size());
    CHECK(text(data) == expected);
    std::vector<std::byte> empty_contents = co_await weft::read_file(empty_path);
    CHECK(empty_contents.empty());
  }(dir / "big", dir / "empty", big));
}

TEST_CASE("write_file without atomic creates, or truncates and overwrites, in place",
          "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "plain";
  const mode_t umask = ::umask(0);
  ::umask(umask);
  weft::run([](std::string path) -> task<void> {
    co_await weft::write_file(path, "a longer first content");
    std::string first = co_await weft::read_text_file(path);
    CHECK(first == "a longer first content");
    co_await weft::write_file(path, "short", {.sync = true});
    std::string second = co_await weft::read_text_file(path);
    CHECK(second == "short");
  }(path));
  struct ::stat plain {};
  REQUIRE(::stat(path.c_str(), &plain) == 0);
  CHECK((plain.st_mode & 07777) == (0644 & ~umask));
  CHECK(entries(dir.path) == std::set<std::string>{"plain"});
}

TEST_CASE("write_file with atomic replaces the file in one step and leaves no temporary file",
          "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "config";
  put(path, "old");
  weft::run([](std::string path) -> task<void> {
    co_await weft::write_file(path, "new content", {.atomic = true, .mode = 0600, .sync = true});
  }(path));
  CHECK(slurp(path) == "new content");
  CHECK(entries(dir.path) == std::set<std::string>{"config"});
  struct ::stat plain {};
  REQUIRE(::stat(path.c_str(), &plain) == 0);
  CHECK((plain.st_mode & 07777) == 0600);
}

TEST_CASE("readers of a file replaced by atomic write_file see the old or the new content, whole",
          "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "swapped";
  const std::string a(64 * 1024, 'a');
  const std::string b(64 * 1024, 'b');
  put(path, a);
  std::atomic<bool> writing{true};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader{[&] {
    while (writing.load()) {
      std::string seen = slurp(path);  // throws (fails the test) if the name is ever missing
      if (seen != a && seen != b) ++torn;
      ++reads;
    }
  }};
  weft::run([](std::string path, std::string a, std::string b) -> task<void> {
    for (int i = 0; i < 20; ++i)
      co_await weft::write_file(path, i % 2 == 0 ? b : a, {.atomic = true});
  }(path, a, b));
  writing.store(false);
  reader.join();
  INFO(reads.load() << " reads");
  CHECK(torn.load() == 0);
  CHECK(slurp(path) == a);
  CHECK(entries(dir.path) == std::set<std::string>{"swapped"});
}

TEST_CASE("a failing atomic write_file leaves the original intact and no temporary file",
          "[io][file]") {
  temp_dir dir;
  // The target is a non-empty directory: the temporary file is written, and the rename fails.
  const std::string target = dir / "occupied";
  REQUIRE(::mkdir(target.c_str(), 0755) == 0);
  put(target + "/inside", "kept");
  const std::string missing_dir = dir / "no/such/dir/file";
  weft::run([](std::string target, std::string missing_dir) -> task<void> {
    try {
      co_await weft::write_file(target, "new", {.atomic = true});
      FAIL("renamed a file over a non-empty directory");
    } catch (const std::system_error& e) {
      CHECK(e.code() == std::errc::is_a_directory);
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("rename "));
      CHECK_THAT(std::string(e.what()), Catch::EndsWith(" to " + target + ": Is a directory"));
    }
    CHECK_THROWS_WITH(co_await weft::write_file(missing_dir, "new", {.atomic = true}),
                      "create temporary file for " + missing_dir + ": No such file or directory");
  }(target, missing_dir));
  CHECK(entries(dir.path) == std::set<std::string>{"occupied"});
  CHECK(entries(target) == std::set<std::string>{"inside"});
  CHECK(slurp(target + "/inside") == "kept");
}

TEST_CASE(
    "an atomic write_file cancelled at any point leaves the old or new content and no "
    "temporary file",
    "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "target";
  put(path, "old");
  int completed = 0;
  int cancelled = 0;
  weft::run([](std::string path, int* completed, int* cancelled) -> task<void> {
    for (int i = 0; i < 40; ++i) {
      try {
        co_await weft::timeout(weft::write_file(path, "new", {.atomic = true}),
                               std::chrono::microseconds(i * 25));
        ++*completed;
      } catch (const weft::timed_out&) {
        ++*cancelled;
      }
    }
  }(path, &completed, &cancelled));
  INFO(completed << " completed, " << cancelled << " cancelled");
  const std::string content = slurp(path);
  CHECK((content == "old" || content == "new"));
  CHECK(entries(dir.path) == std::set<std::string>{"target"});
}

TEST_CASE("a cancelled open never leaks its descriptor", "[io][file]") {
  // Stop is requested before the open starts, after its SQE is queued (a read-only open then
  // completes inline in the submission, so its descriptor arrives despite the cancel), and while
  // an open that creates runs on a kernel worker (some are cancelled, some complete anyway). Every
  // descriptor that arrives must be closed.
  temp_dir dir;
  const std::string path = dir / "opened";
  put(path, "x");
  weft::io_loop loop;
  const std::size_t before = open_descriptors();
  loop.run([](std::string path, std::string created) -> task<void> {
    auto after_yields = [](int yields) -> task<int> {
      for (int i = 0; i < yields; ++i)
        co_await weft::yield();
      co_return yields;
    };
    const open_mode create = open_mode::write | open_mode::create | open_mode::truncate;
    for (int i = 0; i < 200; ++i) {
      (void)co_await weft::when_any(after_yields(0), file::open(path, open_mode::read));
      (void)co_await weft::when_any(file::open(path, open_mode::read), after_yields(i % 2));
      (void)co_await weft::when_any(file::open(created + std::to_string(i % 7), create),
                                    after_yields(i % 3));
      try {
        file f = co_await weft::timeout(file::open(created + std::to_string(i % 5), create),
                                        std::chrono::microseconds(i % 15));
      } catch (const weft::timed_out&) {
      }
    }
  }(path, dir / "created-"));
  CHECK(open_descriptors() == before);
}

TEST_CASE("a file destroyed on the loop is closed through the ring while the loop runs",
          "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    const std::size_t before = open_descriptors();
    {
      file f = co_await file::open(path, open_mode::write | open_mode::create);
      CHECK(open_descriptors() == before + 1);
    }
    co_await ring_round_trip();
    CHECK(open_descriptors() == before);
  }(dir / "dropped"));
}

TEST_CASE("closing a file twice is a no-op the second time", "[io][file]") {
  temp_dir dir;
  weft::run([](std::string path) -> task<void> {
    const std::size_t before = open_descriptors();
    file f = co_await file::open(path, open_mode::write | open_mode::create);
    CHECK(f);
    co_await f.close();
    CHECK_FALSE(f);
    CHECK(f.native_handle() == -1);
    CHECK(f.path() == path);  // kept for messages
    CHECK(open_descriptors() == before);
    co_await f.close();
    CHECK(open_descriptors() == before);
  }(dir / "closed"));
}

TEST_CASE("a buffered_stream reads a file line by line", "[io][file]") {
  temp_dir dir;
  const std::string path = dir / "lines";
  put(path, "first\nsecond\r\nlast");
  weft::run([](std::string path) -> task<void> {
    weft::buffered_stream<file> lines{co_await file::open(path, open_mode::read)};
    std::vector<std::string> seen;
    for (;;) {
      std::optional<std::string> line = co_await lines.read_line();
      if (!line) break;
      seen.push_back(*line);
    }
    CHECK(seen == std::vector<std::string>{"first", "second", "last"});
  }(path));
}

#include <weft/buffered_stream.hpp>
#include <weft/cancellation.hpp>
#include <weft/file.hpp>
#include <weft/io_loop.hpp>
#include <weft/pipe.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task.hpp>
#include <weft/timeout.hpp>
#include <weft/when_all.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include "../support/death_test.hpp"
#include "../support/log_capture.hpp"

#include <sys/ioctl.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using weft::task;
using namespace std::chrono_literals;

namespace {

using buffered_socket = weft::buffered_stream<weft::stream_socket>;
using buffered_reader = weft::buffered_stream<weft::pipe_reader>;
using buffered_writer = weft::buffered_stream<weft::pipe_writer>;

// It composes: a buffered stream is a byte stream of the same directions as the one it wraps.
static_assert(weft::byte_stream<buffered_socket>);
static_assert(weft::byte_stream<weft::buffered_stream<buffered_socket&>>);
static_assert(weft::readable_stream<buffered_reader> && !weft::writable_stream<buffered_reader>);
static_assert(weft::writable_stream<buffered_writer> && !weft::readable_stream<buffered_writer>);
static_assert(weft::byte_stream<weft::buffered_stream<weft::file>>);

std::span<const std::byte> bytes(std::string_view text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

/// Bytes waiting to be read in a pipe or socket (FIONREAD).
int bytes_waiting(int fd) {
  int count = 0;
  REQUIRE(::ioctl(fd, FIONREAD, &count) == 0);
  return count;
}

/// Writes `pieces` one at a time to `out`, each only once the reader has taken the previous one
/// from `reader_fd`: every piece then arrives in a read of its own. Then shuts down sending, so a
/// reader that missed what it waits for sees the end of the stream instead of hanging.
task<void> write_in_separate_reads(weft::stream_socket& out, int reader_fd,
                                   std::vector<std::string> pieces) {
  for (const std::string& piece : pieces) {
    co_await out.write_all(piece);
    while (bytes_waiting(reader_fd) > 0) {
      co_await weft::yield();
      co_await weft::cancellation_point();  // the reader failed: stop waiting for it
    }
  }
  out.shutdown(weft::shutdown_direction::send);
}

/// What a failed operation threw: its code and what().
struct failure {
  std::error_code code;
  std::string what;
};

}  // namespace

TEST_CASE("read_line returns lines that arrive in many small pieces whole", "[io][buffered]") {
  auto main = []() -> task<std::vector<std::string>> {
    auto [left, right] = weft::stream_socket_pair();
    buffered_socket in{std::move(right)};
    std::string text = "first line\nsecond\r\n\nthe third line is longer than a piece\n";
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < text.size(); at += 3)
      pieces.push_back(text.substr(at, 3));
    auto read_lines = [](buffered_socket& s) -> task<std::vector<std::string>> {
      std::vector<std::string> lines;
      for (int i = 0; i < 4; ++i) {
        std::optional<std::string> line = co_await s.read_line();
        REQUIRE(line);
        lines.push_back(*line);
      }
      co_return lines;
    };
    auto [written, lines] = co_await weft::when_all(
        write_in_separate_reads(left, in.next_layer().native_handle(), std::move(pieces)),
        read_lines(in));
    (void)written;
    co_return lines;
  };
  CHECK(weft::run(main()) == std::vector<std::string>{"first line", "second", "",
                                                      "the third line is longer than a piece"});
}

TEST_CASE("read_line strips \\n and \\r\\n and keeps a lone \\r", "[io][buffered]") {
  auto main = []() -> task<std::vector<std::optional<std::string>>> {
    auto ends = weft::pipe();
    buffered_reader in{std::move(ends.reader)};
    co_await ends.writer.write_all("a\r\nb\nc\rd\n\r\n");
    co_await ends.writer.close();
    std::vector<std::optional<std::string>> lines;
    for (int i = 0; i < 5; ++i)
      lines.push_back(co_await in.read_line());
    co_return lines;
  };
  CHECK(weft::run(main()) ==
        std::vector<std::optional<std::string>>{"a", "b", "c\rd", "", std::nullopt});
}

TEST_CASE("read_line returns a last line without a newline, then nullopt", "[io][buffered]") {
  auto main = []() -> task<std::vector<std::optional<std::string>>> {
    auto ends = weft::pipe();
    buffered_reader in{std::move(ends.reader)};
    co_await ends.writer.write_all("one\ntwo");
    co_await ends.writer.close();
    std::vector<std::optional<std::string>> lines;
    for (int i = 0; i < 4; ++i)
      lines.push_back(co_await in.read_line());
    co_return lines;
  };
  CHECK(weft::run(main()) ==
        std::vector<std::optional<std::string>>{"one", "two", std::nullopt, std::nullopt});
}

TEST_CASE("a line of exactly the read limit is read, a longer one is refused with line_too_long",
          "[io][buffered]") {
  struct outcome {
    std::optional<std::string> fitting;
    failure too_long;
    std::size_t buffered = 0;
  };
  auto main = []() -> task<outcome> {
    auto ends = weft::pipe();
    buffered_reader in{std::move(ends.reader), {.read_buffer_size = 64}};
    // 63 characters + "\n" is 64 bytes: exactly the limit. 64 + "\n" is one byte too many.
    co_await ends.writer.write_all(std::string(63, 'a') + "\n" + std::string(64, 'b') + "\n");
    outcome result;
    result.fitting = co_await in.read_line();
    try {
      (void)co_await in.read_line();
    } catch (const std::system_error& e) {
      result.too_long = {e.code(), e.what()};
    }
    result.buffered = in.available();
    co_return result;
  };
  outcome result = weft::run(main());
  CHECK(result.fitting == std::string(63, 'a'));
  CHECK(result.too_long.code == weft::io_errc::line_too_long);
  CHECK_THAT(result.too_long.what, Catch::StartsWith("read_line from pipe fd ") &&
                                       Catch::Contains("no \"\\n\" within 64 bytes"));
  CHECK(result.buffered == 64);  // what was read stays, and the buffer never grew past its bound
}

TEST_CASE("read_until finds a multi-byte delimiter split between two reads", "[io][buffered]") {
  // The header block ends in "\r\n\r\n"; split it after each of the delimiter's first 3 bytes.
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::size_t delimiter_at = head.size() - 4;
  for (std::size_t split = delimiter_at + 1; split < head.size(); ++split) {
    auto main = [](std::string first,
                   std::string second) -> task<std::pair<std::string, std::string>> {
      auto [left, right] = weft::stream_socket_pair();
      buffered_socket in{std::move(right), {.read_buffer_size = 4096}};
      auto read_request = [](buffered_socket& s) -> task<std::pair<std::string, std::string>> {
        std::optional<std::string_view> header = co_await s.read_until("\r\n\r\n");
        REQUIRE(header);
        std::string header_text{*header};  // the view is valid only until the next read
        std::string body = co_await s.read_exact(4);
        co_return std::pair{header_text, body};
      };
      // (A braced list inside the co_await expression trips GCC 12: build the vector first.)
      std::vector<std::string> pieces;
      pieces.push_back(std::move(first));
      pieces.push_back(std::move(second));
      auto results = co_await weft::when_all(
          write_in_separate_reads(left, in.next_layer().native_handle(), std::move(pieces)),
          read_request(in));
      co_return std::get<1>(std::move(results));
    };
    std::string message = head + "body";
    auto [header, body] = weft::run(main(message.substr(0, split), message.substr(split)));
    INFO("split after byte " << split);
    CHECK(header == head);
    CHECK(body == "body");
  }
}

TEST_CASE("read_until counts the delimiter in the limit", "[io][buffered]") {
  auto main = []() -> task<std::pair<std::size_t, failure>> {
    auto ends = weft::pipe();
    buffered_reader in{std::move(ends.reader), {.read_buffer_size = 32}};
    co_await ends.writer.write_all(std::string(28, 'x') + "\r\n\r\n" + std::string(29, 'y') +
                                   "\r\n\r\n");
    std::optional<std::string_view> fitting = co_await in.read_until("\r\n\r\n");
    std::size_t fitting_size = fitting ? fitting->size() : 0;
    failure too_long;
    try {
      (void)co_await in.read_until("\r\n\r\n");
    } catch (const std::system_error& e) {
      too_long = {e.code(), e.what()};
    }
    co_return std::pair{fitting_size, too_long};
  };
  auto [fitting_size, too_long] = weft::run(main());
  CHECK(fitting_size == 32);
  CHECK(too_long.code == weft::io_errc::line_too_long);
  CHECK_THAT(too_long.what, Catch::Contains("no \"\\r\\n\\r\\n\" within 32 bytes"));
}

TEST_CASE("read_until yields nullopt at a clean end and throws unexpected_eof inside a record",
          "[io][buffered]") {
  struct outcome {
    std::optional<std::string> record;
    failure cut_short;
    bool clean_end_is_nullopt = false;
  };
  auto main = []() -> task<outcome> {
    outcome result;
    {
      auto ends = weft::pipe();
      buffered_reader in{std::move(ends.reader)};
      co_await ends.writer.write_all("abc;de");
      co_await ends.writer.close();
      std::optional<std::string_view> record = co_await in.read_until(';');
      if (record) result.record = std::string(*record);
      try {
        (void)co_await in.read_until(';');
      } catch (const std::system_error& e) {
        result.cut_short = {e.code(), e.what()};
      }
    }
    {
      auto ends = weft::pipe();
      buffered_reader in{std::move(ends.reader)};
      co_await ends.writer.close();
      std::optional<std::string_view> record = co_await in.read_until(';');
      result.clean_end_is_nullopt = !record.has_value();
    }
    co_return result;
  };
  outcome result = weft::run(main());
  CHECK(result.record == "abc;");  // the delimiter is part of the record
  CHECK(result.cut_short.code == weft::io_errc::unexpected_eof);
  CHECK_THAT(result.cut_short.what, Catch::Contains("ended after 2 bytes without \";\""));
  CHECK(result.clean_end_is_nullopt);
}

TEST_CASE("read_exact takes buffered bytes first and reports the end of the stream in the middle",
          "[io][buffered]") {
  auto main = []() -> task<std::pair<std::string, failure>> {
    auto [left, right] = weft::stream_socket_pair();
    buffered_socket in{std::move(right)};
    co_await left.send_all("hello world");
    left.shutdown(weft::shutdown_direction::send);
    std::optional<std::string_view> word = co_await in.read_until(' ');
    std::string first{word.value_or("")};
    std::string rest(10, '\0');
    failure cut_short;
    try {
      co_await in.read_exact(std::as_writable_bytes(std::span{rest.data(), rest.size()}));
    } catch (const std::system_error& e) {
      cut_short = {e.code(), e.what()};
    }
    co_return std::pair{first, cut_short};
  };
  auto [first, cut_short] = weft::run(main());
  CHECK(first == "hello ");
  CHECK(cut_short.code == weft::io_errc::unexpected_eof);
  CHECK_THAT(cut_short.what,
             Catch::Contains("read_exact from") && Catch::Contains("5 of 10 bytes arrived"));
}

TEST_CASE("peek, fill and consume let a parser work in the read buffer", "[io][buffered]") {
  auto main = []() -> task<std::vector<std::string>> {
    auto ends = weft::pipe();
    buffered_reader in{std::move(ends.reader)};
    co_await ends.writer.write_all("12345");
    std::vector<std::string> seen;
    std::size_t added = co_await in.fill();
    seen.push_back(std::to_string(added));
    auto view = in.peek();
    seen.emplace_back(reinterpret_cast<const char*>(view.data()), view.size());
    in.consume(2);
    std::string rest(10, '\0');
    std::size_t got =
        co_await in.read_some(std::as_writable_bytes(std::span{rest.data(), rest.size()}));
    seen.push_back(rest.substr(0, got));
    co_return seen;
  };
  CHECK(weft::run(main()) == std::vector<std::string>{"5", "12345", "345"});
}

TEST_CASE("buffered writes reach the stream only when flushed", "[io][buffered]") {
  auto main = []() -> task<std::vector<int>> {
    auto ends = weft::pipe();
    // A borrowing buffered_stream: the pipe_writer stays with the caller.
    weft::buffered_stream<weft::pipe_writer&> out{ends.writer, {.write_buffer_size = 16}};
    int reader_fd = ends.reader.native_handle();
    std::vector<int> waiting;
    co_await out.write("abc");
    co_await out.write(bytes("defg"));
    waiting.push_back(bytes_waiting(reader_fd));
    co_await weft::timeout(out.flush().as_task(), 10s);
    waiting.push_back(bytes_waiting(reader_fd));
    co_await out.write("0123456789abcdef_");  // larger than the buffer: written at once
    waiting.push_back(bytes_waiting(reader_fd));
    co_return waiting;
  };
  CHECK(weft::run(main()) == std::vector<int>{0, 7, 24});
}

TEST_CASE("a payload far larger than both buffers arrives whole and in order", "[io][buffered]") {
  auto main = []() -> task<bool> {
    auto [left, right] = weft::stream_socket_pair();
    buffered_socket out{std::move(left), {.read_buffer_size = 512, .write_buffer_size = 4096}};
    buffered_socket in{std::move(right), {.read_buffer_size = 1000, .write_buffer_size = 512}};
    std::string payload(1 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i)
      payload[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
    auto send = [](buffered_socket& s, const std::string& data) -> task<void> {
      // Writes of many sizes: below, around and above the write buffer, and write_some too.
      static constexpr std::size_t sizes[] = {1, 7, 100, 4095, 4096, 5000, 3, 70000, 12};
      std::size_t at = 0;
      for (std::size_t i = 0; at < data.size(); ++i) {
        std::size_t n = std::min(sizes[i % std::size(sizes)], data.size() - at);
        auto piece = bytes(std::string_view{data}.substr(at, n));
        if (i % 4 == 3)
          at += co_await s.write_some(piece);
        else {
          co_await s.write(piece);
          at += n;
        }
      }
      co_await s.flush();
      s.next_layer().shutdown(weft::shutdown_direction::send);
    };
    auto receive = [](buffered_socket& s) -> task<std::string> {
      std::string received;
      std::string chunk(3000, '\0');
      for (std::size_t i = 0;; ++i) {
        auto buffer = std::as_writable_bytes(std::span{chunk.data(), i % 2 ? 3000u : 100u});
        std::size_t got = co_await s.read_some(buffer);
        if (got == 0) break;
        received.append(chunk.data(), got);
      }
      co_return received;
    };
    auto [sent, received] = co_await weft::when_all(send(out, payload), receive(in));
    (void)sent;
    co_return received == payload;
  };
  CHECK(weft::run(main()));
}

TEST_CASE("a read_line cut short by a timeout loses nothing: the next one returns the whole line",
          "[io][buffered]") {
  auto main = []() -> task<std::pair<bool, std::optional<std::string>>> {
    auto ends = weft::pipe();
    buffered_reader in{std::move(ends.reader)};
    co_await ends.writer.write_all("partial");
    bool timed_out = false;
    try {
      (void)co_await weft::timeout(in.read_line().as_task(), 20ms);
    } catch (const weft::timed_out&) {
      timed_out = true;
    }
    co_await ends.writer.write_all(" line\n");
    std::optional<std::string> line = co_await in.read_line();
    co_return std::pair{timed_out, line};
  };
  auto [timed_out, line] = weft::run(main());
  CHECK(timed_out);
  CHECK(line == "partial line");
}

TEST_CASE("destroying a buffered_stream with unflushed bytes logs a warning in debug builds",
          "[io][buffered]") {
  weft::test::log_capture capture;
  auto main = []() -> task<void> {
    auto ends = weft::pipe();
    {
      buffered_writer out{std::move(ends.writer)};
      co_await out.write("abc");
    }
    {
      buffered_writer out{weft::pipe().writer};
      co_await out.write("intended");
      CHECK(out.discard_unflushed() == 8);  // said on purpose: no warning
    }
  };
  weft::run(main());
#ifdef NDEBUG
  CHECK(capture.text().find("unflushed") == std::string::npos);
#else
  CHECK_THAT(capture.text(), Catch::Contains("buffered_stream dropped 3 unflushed bytes") &&
                                 Catch::Contains("pipe fd"));
  CHECK(capture.text().find("dropped 8") == std::string::npos);
#endif
}

TEST_CASE("two reads at once on one buffered_stream abort with a message",
          "[io][buffered][death]") {
  auto death = weft::test::run_in_child([] {
    auto main = []() -> task<void> {
      auto ends = weft::pipe();
      buffered_reader in{std::move(ends.reader)};
      co_await weft::when_all(in.read_line().as_task(), in.read_line().as_task());
    };
    weft::run(main());
  });
  CHECK(death.signalled);
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("two reads at once on a buffered_stream"));
}

#include <weft/io_loop.hpp>
#include <weft/pipe.hpp>
#include <weft/when_all.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <string>

#include "../support/fd_count.hpp"

using weft::task;

TEST_CASE("pipe carries bytes from writer to reader, then end of stream", "[io][pipe]") {
  std::size_t before = weft::test::open_fd_count();
  std::string received = weft::run([]() -> task<std::string> {
    weft::pipe_ends p = weft::pipe();
    auto write = [](weft::pipe_writer w) -> task<void> {
      for (int i = 0; i < 100; ++i)
        co_await w.write_all("line " + std::to_string(i) + "\n");
      co_await w.close();
    };
    auto read = [](weft::pipe_reader r) -> task<std::string> {
      std::string all;
      std::byte buffer[512];
      while (std::size_t got = co_await r.read_some(buffer))
        all.append(reinterpret_cast<const char*>(buffer), got);
      co_return all;
    };
    auto [ignored, all] =
        co_await weft::when_all(write(std::move(p.writer)), read(std::move(p.reader)));
    co_return all;
  }());
  std::string expected;
  for (int i = 0; i < 100; ++i)
    expected += "line " + std::to_string(i) + "\n";
  CHECK(received == expected);
  CHECK(weft::test::open_fd_count() == before);
}

TEST_CASE("writing to a pipe whose reader is gone is EPIPE, not a killed process", "[io][pipe]") {
  weft::run([]() -> task<void> {
    weft::pipe_ends p = weft::pipe();
    co_await p.reader.close();
    int error = 0;
    std::string what;
    try {
      co_await p.writer.write_all("nobody reads this");
    } catch (const std::system_error& e) {
      error = e.code().value();
      what = e.what();
    }
    CHECK(error == EPIPE);
    CHECK_THAT(what, Catch::StartsWith("write to pipe fd "));
    CHECK_THAT(what, Catch::EndsWith("Broken pipe"));
  }());
  struct sigaction current {};
  ::sigaction(SIGPIPE, nullptr, &current);
  CHECK(current.sa_handler == SIG_IGN);
}

TEST_CASE("read_exact over a pipe reports end of stream in the middle", "[io][pipe]") {
  weft::run([]() -> task<void> {
    weft::pipe_ends p = weft::pipe();
    co_await p.writer.write_all("short");
    co_await p.writer.close();
    std::byte buffer[10];
    std::string what;
    try {
      co_await p.reader.read_exact(buffer);
    } catch (const std::system_error& e) {
      CHECK(e.code() == weft::io_errc::unexpected_eof);
      what = e.what();
    }
    CHECK_THAT(what, Catch::StartsWith("read pipe fd "));
    CHECK_THAT(what, Catch::EndsWith("5 of 10 bytes arrived: unexpected end of stream"));
  }());
}

TEST_CASE("a descriptor closed twice is closed once", "[io][pipe]") {
  std::size_t before = weft::test::open_fd_count();
  weft::run([]() -> task<void> {
    weft::pipe_ends p = weft::pipe();
    co_await p.reader.close();
    co_await p.reader.close();  // empty now: a no-op, not a close of whatever reuses the number
    CHECK_FALSE(p.reader);
  }());
  CHECK(weft::test::open_fd_count() == before);
}

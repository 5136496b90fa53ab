// stream_writer: write-behind over sockets and pipes.
#include <weft/io_loop.hpp>
#include <weft/listener.hpp>
#include <weft/pipe.hpp>
#include <weft/sleep.hpp>
#include <weft/stream_socket.hpp>
#include <weft/stream_writer.hpp>
#include <weft/when_all.hpp>

#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../support/refused_allocations.hpp"
#include "../support/sockets.hpp"

using namespace std::chrono_literals;
using weft::task;

namespace {

std::byte pattern_at(std::size_t position) {
  return static_cast<std::byte>(position * 7 % 251);
}

std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> data(size);
  for (std::size_t i = 0; i < size; ++i)
    data[i] = pattern_at(i);
  return data;
}

// Reads until end of stream, checking every byte after the first `skip` against pattern();
// returns how many of those arrived.
template <class Stream>
task<std::size_t> read_pattern(Stream& stream, std::size_t* mismatches, std::size_t skip = 0) {
  std::size_t position = 0;
  std::byte buffer[1000];
  while (std::size_t got = co_await stream.read_some(buffer)) {
    for (std::size_t i = 0; i < got; ++i) {
      if (skip != 0) {
        --skip;
        continue;
      }
      if (buffer[i] != pattern_at(position)) ++*mismatches;
      ++position;
    }
    co_await weft::sleep_for(0ms);  // a slow reader: the writer runs between reads
  }
  co_return position;
}

// Two connected Unix stream sockets with a small send buffer, so that a writer soon meets a full
// socket. (Not TCP: with a receive buffer shrunk after the handshake, TCP stalls in zero-window
// probes of a quarter second each, which makes the tests slow, not stricter.)
struct socket_pair {
  weft::stream_socket writer_side;
  weft::stream_socket reader_side;
};
socket_pair small_buffered_pair() {
  auto [writer_side, reader_side] = weft::stream_socket_pair();
  writer_side.set_send_buffer_size(4096);
  return socket_pair{std::move(writer_side), std::move(reader_side)};
}

// Fills the socket's kernel buffers with zeros until a send would block; returns how many.
std::size_t fill_socket(const weft::stream_socket& socket) {
  std::vector<std::byte> chunk(4096);
  std::size_t total = 0;
  while (true) {
    ssize_t sent =
        ::send(socket.native_handle(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent <= 0) return total;
    total += static_cast<std::size_t>(sent);
  }
}

task<void> flush(weft::stream_writer& writer) {
  co_await writer.flush();
}

// A write larger than the writer's limit, sent from this frame.
task<void> write_zeros(weft::stream_writer& writer, std::size_t size) {
  std::vector<std::byte> large(size);
  co_await writer.write(large);
}

task<void> flush_and_shut_down(weft::stream_writer& writer, weft::stream_socket& socket) {
  co_await writer.flush();
  socket.shutdown(weft::shutdown_direction::send);
}

task<std::string> read_all(weft::stream_socket& socket) {
  std::string all;
  std::byte buffer[4096];
  while (std::size_t got = co_await socket.read_some(buffer))
    all.append(reinterpret_cast<const char*>(buffer), got);
  co_return all;
}

}  // namespace

TEST_CASE(
    "a writer delivers every byte in order, whatever mix of small, unchanging and large "
    "writes",
    "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();
    constexpr std::size_t total = 400'000;
    const std::vector<std::byte> data = pattern(total);  // outlives the writer: write_static
    auto write = [](weft::stream_socket& socket, const std::vector<std::byte>& all) -> task<void> {
      weft::stream_writer out{socket, 8192};
      const std::size_t sizes[] = {1, 100, 3000, 20'000, 7, 8192, 9000};
      std::size_t done = 0;
      for (std::size_t i = 0; done < all.size(); ++i) {
        std::size_t size = std::min(sizes[i % std::size(sizes)], all.size() - done);
        std::span<const std::byte> piece{all.data() + done, size};
        if (i % 3 == 0)
          co_await out.write_static(piece);
        else
          co_await out.write(std::vector<std::byte>(piece.begin(), piece.end()));  // a temporary
        done += size;
      }
      co_await out.flush();
      CHECK(out.unsent() == 0);
      socket.shutdown(weft::shutdown_direction::send);
    };
    std::size_t mismatches = 0;
    auto [ignored, received] =
        co_await weft::when_all(write(out_socket, data), read_pattern(in_socket, &mismatches));
    CHECK(received == total);
    CHECK(mismatches == 0);
  }());
}

TEST_CASE("a write that does not fit waits for room (back-pressure), and every byte still arrives",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();
    static constexpr std::size_t limit = 8192;
    static constexpr std::size_t piece = 1000;
    static constexpr std::size_t pieces =
        300;  // far more than the kernel's buffers and the limit hold
    weft::stream_writer out{out_socket, limit};
    std::size_t written = 0;
    auto write = [](weft::stream_writer& w, weft::stream_socket& s,
                    std::size_t* count) -> task<void> {
      const std::vector<std::byte> all = pattern(pieces * piece);
      for (; *count < pieces; ++*count)
        co_await w.write(std::span{all}.subspan(*count * piece, piece));
      co_await w.flush();
      s.shutdown(weft::shutdown_direction::send);
    };
    auto observe_then_read = [](weft::stream_socket& s, std::size_t* count) -> task<std::size_t> {
      co_await weft::sleep_for(50ms);  // nobody reads meanwhile
      CHECK(*count < pieces);          // the writer is held back: its room is full
      std::size_t mismatches = 0;
      std::size_t received = co_await read_pattern(s, &mismatches);
      CHECK(mismatches == 0);
      co_return received;
    };
    auto [ignored, received] = co_await weft::when_all(write(out, out_socket, &written),
                                                       observe_then_read(in_socket, &written));
    CHECK(received == pieces * piece);
  }());
}

TEST_CASE("a failed send breaks the writer: the next write and flush say why, naming the peer",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [client, port] = co_await weft::test::connect_to_resetting_peer();
    weft::stream_writer out{client};
    std::vector<std::byte> chunk(1000);
    std::string first_error;
    int code = 0;
    for (int i = 0; i < 1000 && first_error.empty(); ++i) {
      try {
        co_await out.write(chunk);
        co_await out.flush();
      } catch (const std::system_error& e) {
        first_error = e.what();
        code = e.code().value();
      }
    }
    CHECK((code == ECONNRESET || code == EPIPE));
    CHECK_THAT(first_error, Catch::StartsWith("send to 127.0.0.1:" + std::to_string(port)));
    CHECK(out.broken());
    std::string again;
    try {
      co_await out.write(chunk);
    } catch (const std::system_error& e) {
      again = e.what();
    }
    CHECK(again == first_error);
  }());
}

TEST_CASE("a stop ends a waiting flush; the unsent bytes stay queued and all arrive",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();
    constexpr std::size_t total = 60'000;
    weft::stream_writer out{out_socket};
    std::size_t filler = fill_socket(out_socket);  // nothing more goes until the peer reads
    const std::vector<std::byte> data = pattern(total);
    co_await out.write(data);  // fits the default limit: copied, returns at once
    bool cancelled = co_await weft::test::cancelled_by_stop_after(flush(out), 20ms);
    CHECK(cancelled);
    CHECK(!out.broken());
    CHECK(out.unsent() > 0);
    std::size_t mismatches = 0;
    auto [ignored, received] = co_await weft::when_all(
        flush_and_shut_down(out, out_socket), read_pattern(in_socket, &mismatches, filler));
    CHECK(received == total);
    CHECK(mismatches == 0);
  }());
}

TEST_CASE("stop requests from another thread end waiting writes and flushes, many times over",
          "[io][stream_writer]") {
  auto start = std::chrono::steady_clock::now();
  // The stop arrives on a plain thread while the coroutine waits (or is about to): the wait must
  // end exactly once, on the loop thread, whichever way the race goes.
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();  // nobody reads
    weft::stream_writer out{out_socket, 4096};
    fill_socket(out_socket);
    co_await out.write(std::string(4000, 'x'));  // taken; its send waits for the reader
    int cancelled = 0;
    for (int round = 0; round < 200; ++round) {
      std::stop_source stop;
      auto wait = [](weft::stream_writer& w, int kind) -> task<bool> {
        try {
          if (kind == 0)
            co_await w.flush();
          else
            co_await w.write(std::string(1000, 'y'));  // no room: it waits
        } catch (const weft::operation_cancelled&) {
          co_return true;
        }
        co_return false;
      };
      std::thread stopper{[&stop, round] {
        if (round % 2 == 0) std::this_thread::yield();
        stop.request_stop();
      }};
      bool was_cancelled = co_await weft::with_stop_token(wait(out, round % 2), stop.get_token());
      stopper.join();
      cancelled += was_cancelled ? 1 : 0;
    }
    CHECK(cancelled == 200);  // nobody reads: no wait can have ended any other way
    CHECK(!out.broken());
    CHECK(out.unsent() <= 4000);  // cancelled writes took nothing
  }());
  // The writer's send is cancelled at the end: the loop ends at once (no drain stall after the
  // cross-thread hand-offs made it spin).
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("a write larger than the limit stopped before any byte left takes nothing",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();
    fill_socket(out_socket);  // the next send waits for the reader
    weft::stream_writer out{out_socket, 4096};
    bool cancelled = co_await weft::test::cancelled_by_stop_after(write_zeros(out, 100'000), 20ms);
    CHECK(cancelled);
    CHECK(!out.broken());  // nothing of it went: the stream is as if it was never written
    CHECK(out.unsent() == 0);
    co_await out.write("still usable");
    auto [ignored, all] =
        co_await weft::when_all(flush_and_shut_down(out, out_socket), read_all(in_socket));
    CHECK(all.substr(all.find_first_not_of('\0')) == "still usable");  // after fill_socket's zeros
  }());
}

TEST_CASE("a write larger than the limit stopped part-way breaks the writer, saying so",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();  // nobody reads
    weft::stream_writer out{out_socket, 4096};
    // The kernel's buffers take a part of the 1 MiB before the send waits.
    bool cancelled = co_await weft::test::cancelled_by_stop_after(write_zeros(out, 1 << 20), 20ms);
    CHECK(cancelled);
    CHECK(out.broken());
    std::string error;
    try {
      co_await out.write("more");
    } catch (const std::system_error& e) {
      error = e.what();
    }
    CHECK_THAT(error, Catch::Contains("cancelled after") && Catch::Contains("of 1048576 bytes"));
  }());
}

TEST_CASE("destroying a writer with a send in flight cancels it; the loop ends promptly",
          "[io][stream_writer]") {
  auto start = std::chrono::steady_clock::now();
  static const std::vector<std::byte> large(4 << 20);  // unchanging: write_static keeps a reference
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();  // nobody reads
    {
      weft::stream_writer out{out_socket};
      co_await out.write_static(large);  // idle writer: sent from `large`, returns at once
      co_await out.write("and some copied bytes behind it");
      CHECK(out.unsent() > 0);
    }  // the send is stuck on the full socket: cancelled, its state freed at its CQE
    co_await weft::sleep_for(10ms);
  }());
  // Had the send not been cancelled, the loop's drain would have waited its 5 s limit for it.
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("assigning over a writer with a send in flight cancels that send like destruction",
          "[io][stream_writer]") {
  auto start = std::chrono::steady_clock::now();
  static const std::vector<std::byte> large(4 << 20);
  weft::run([]() -> task<void> {
    auto [stuck_socket, stuck_peer] = small_buffered_pair();  // nobody reads
    auto [out_socket, in_socket] = small_buffered_pair();
    weft::stream_writer out{stuck_socket};
    co_await out.write_static(large);  // stuck on the full socket
    out = weft::stream_writer{out_socket};
    co_await out.write("to the other socket");
    co_await flush_and_shut_down(out, out_socket);
    std::string received = co_await read_all(in_socket);
    CHECK(received == "to the other socket");
  }());
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("a waiter resumed with the writer's error needs no writer: an earlier one may destroy it",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();
    auto writer = std::make_unique<weft::stream_writer>(out_socket, 4096);
    fill_socket(out_socket);
    co_await writer->write(std::string(4000, 'x'));  // taken; its send waits
    // A flush waits, then a write behind it; then the send fails (the peer goes away). The flush's
    // coroutine runs first and destroys the writer; the write must still report the error.
    auto flush_then_drop = [](std::unique_ptr<weft::stream_writer>* w) -> task<bool> {
      try {
        co_await (*w)->flush();
      } catch (const std::system_error&) {
        w->reset();
        co_return true;
      }
      co_return false;
    };
    auto write = [](weft::stream_writer* w) -> task<std::string> {
      try {
        co_await w->write(std::string(1000, 'y'));  // no room: waits behind the flush
      } catch (const std::system_error& e) {
        co_return e.what();
      }
      co_return "(no error)";
    };
    auto close_peer = [](weft::stream_socket* peer) -> task<void> {
      co_await weft::sleep_for(10ms);
      co_await peer->close();
    };
    weft::stream_writer* raw = writer.get();
    auto [dropped, error, ignored] =
        co_await weft::when_all(flush_then_drop(&writer), write(raw), close_peer(&in_socket));
    CHECK(dropped);
    CHECK_THAT(error, Catch::Contains("Broken pipe") || Catch::Contains("reset"));
  }());
}

TEST_CASE("waiting writes from several coroutines are taken whole, first come first served",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = small_buffered_pair();
    weft::stream_writer out{out_socket, 4096};
    fill_socket(out_socket);
    // 'a' is taken at once and its send waits for the reader; 'b' (3000 bytes) does not fit
    // beside it and waits; 'c' (10 bytes) would fit, but must not overtake 'b'.
    auto write_block = [](weft::stream_writer& w, char letter, std::size_t size) -> task<void> {
      co_await w.write(std::string(size, letter));
    };
    auto read_later = [](weft::stream_writer& w, weft::stream_socket& out,
                         weft::stream_socket& in) -> task<std::string> {
      co_await weft::sleep_for(20ms);  // every writer has queued by now
      auto [ignored, all] = co_await weft::when_all(flush_and_shut_down(w, out), read_all(in));
      co_return all;
    };
    auto [a, b, c, all] =
        co_await weft::when_all(write_block(out, 'a', 3000), write_block(out, 'b', 3000),
                                write_block(out, 'c', 10), read_later(out, out_socket, in_socket));
    std::string tail = all.substr(all.find_first_not_of('\0'));  // after fill_socket's zeros
    CHECK(tail == std::string(3000, 'a') + std::string(3000, 'b') + std::string(10, 'c'));
  }());
}

TEST_CASE("a writer over a pipe writes with write(2) and reports EPIPE once the reader is gone",
          "[io][stream_writer]") {
  weft::run([]() -> task<void> {
    weft::pipe_ends ends = weft::pipe();
    weft::stream_writer out{ends.writer};
    co_await out.write("through the pipe");
    co_await out.flush();
    std::byte got[16];
    co_await ends.reader.read_exact(got);
    CHECK(std::string_view{reinterpret_cast<const char*>(got), 16} == "through the pipe");
    co_await ends.reader.close();
    std::string error;
    try {
      co_await out.write("nobody reads this");
      co_await out.flush();
    } catch (const std::system_error& e) {
      error = e.what();
      CHECK(e.code().value() == EPIPE);
    }
    CHECK_THAT(error, Catch::StartsWith("write to pipe"));
  }());
}

TEST_CASE(
    "a waiting write with no memory for its copy throws bad_alloc, takes nothing, and the "
    "writer goes on",
    "[io][stream_writer]") {
  if (!weft::test::refused_allocations::available()) {
    WARN(
        "SKIPPED: this sanitizer build owns operator new, so no allocation can be refused; the "
        "plain build runs this test");
    return;
  }
  weft::run([]() -> task<void> {
    auto [out_socket, in_socket] = weft::stream_socket_pair();
    out_socket.set_send_buffer_size(256 * 1024);  // room in the kernel for everything written
    weft::stream_writer out{out_socket, 64 * 1024};
    const std::vector<std::byte> first = pattern(48 * 1024);
    co_await out.write(first);  // copied, and being sent
    // Does not fit beside `first`: waits, to be copied once that send completes. That copy is
    // refused.
    const std::vector<std::byte> second(40 * 1024, std::byte{0xEE});
    bool threw_bad_alloc = false;
    std::size_t refused = 0;
    {
      weft::test::refused_allocations no_large_blocks{32 * 1024};
      try {
        co_await out.write(second);
      } catch (const std::bad_alloc&) {
        threw_bad_alloc = true;
      }
      refused = no_large_blocks.refused();
    }
    CHECK(threw_bad_alloc);
    CHECK(refused == 1);
    CHECK_FALSE(out.broken());
    co_await out.write(std::string_view{"after"});
    co_await out.flush();
    out_socket.shutdown(weft::shutdown_direction::send);
    std::string received = co_await read_all(in_socket);
    std::string expected(reinterpret_cast<const char*>(first.data()), first.size());
    expected += "after";
    CHECK(received == expected);  // `second` never went out, and nothing was lost around it
  }());
}

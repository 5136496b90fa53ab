// Tests of weft/buffer_ring.hpp and the multishot operations built on it: receive_stream
// (weft/receive_stream.hpp) and listener::incoming() (weft/listener.hpp).
#include <weft/buffer_ring.hpp>
#include <weft/io_loop.hpp>
#include <weft/listener.hpp>
#include <weft/receive_stream.hpp>
#include <weft/sleep.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task_scope.hpp>
#include <weft/timeout.hpp>
#include <weft/when_all.hpp>
#include <weft/yield.hpp>

#include <sys/socket.h>
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../support/fd_count.hpp"

using namespace std::chrono_literals;
using weft::task;

namespace {

std::string text_of(const weft::provided_buffer& chunk) {
  return {reinterpret_cast<const char*>(chunk.bytes().data()), chunk.size()};
}

// Everything the stream yields until end of stream, releasing each buffer once copied.
task<std::string> receive_all(weft::receive_stream& incoming) {
  std::string all;
  while (std::optional<weft::provided_buffer> chunk = co_await incoming.next())
    all += text_of(*chunk);
  co_return all;
}

// A payload whose every byte depends on its position, so reordering or loss shows.
std::string numbered_payload(std::size_t size) {
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    payload[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return payload;
}

enum class pair_kind { unix_stream, tcp };

// A connected pair of stream sockets, reader first: a Unix socketpair or a TCP loopback
// connection (the kernel tells a TCP receiver from the start whether more is queued).
task<std::pair<weft::stream_socket, weft::stream_socket>> connected_pair(pair_kind kind) {
  if (kind == pair_kind::unix_stream) co_return weft::stream_socket_pair();
  weft::listener server = weft::listener::bind(weft::socket_address::loopback());
  weft::stream_socket writer = co_await weft::connect(server.local_address());
  weft::stream_socket reader = co_await server.accept();
  co_return std::pair{std::move(reader), std::move(writer)};
}

// Yields until `ready()` or about a second has passed (a cancel's CQE is a matter of microseconds).
template <class Ready>
task<bool> eventually(Ready ready) {
  for (int i = 0; i < 1000 && !ready(); ++i)
    co_await weft::sleep_for(1ms);
  co_return ready();
}

}  // namespace

TEST_CASE("a buffer ring refuses a count that is not a power of two", "[io][buffer_ring]") {
  weft::run([]() -> task<void> {
    CHECK_THROWS_AS(weft::buffer_ring({.count = 3, .buffer_size = 64}), std::invalid_argument);
    CHECK_THROWS_AS(weft::buffer_ring({.count = 65536, .buffer_size = 64}), std::invalid_argument);
    CHECK_THROWS_AS(weft::buffer_ring({.count = 4, .buffer_size = 0}), std::invalid_argument);
    co_return;
  }());
}

TEST_CASE("a buffer ring made off a loop thread is refused", "[io][buffer_ring]") {
  CHECK_THROWS_AS(weft::buffer_ring({.count = 4, .buffer_size = 64}), std::logic_error);
}

TEST_CASE("two buffer rings on one loop get different groups", "[io][buffer_ring]") {
  weft::run([]() -> task<void> {
    weft::buffer_ring first{{.count = 4, .buffer_size = 64}};
    weft::buffer_ring second{{.count = 8, .buffer_size = 64}};
    CHECK(first.group() != second.group());
    CHECK(first.available() == 4);
    CHECK(second.available() == 8);
    co_return;
  }());
}

TEST_CASE("a multishot receive yields every byte in order and then end of stream",
          "[io][buffer_ring]") {
  // Eight buffers of 1 KiB for a 1 MiB payload: the ring runs dry over and over, so the receive
  // is parked and re-armed many times on the way.
  const std::string payload = numbered_payload(1 << 20);
  std::string received = weft::run([](std::string payload) -> task<std::string> {
    auto [reader, writer] = weft::stream_socket_pair();
    weft::buffer_ring buffers{{.count = 8, .buffer_size = 1024}};
    weft::receive_stream incoming{reader, buffers};
    auto send_then_close = [](weft::stream_socket& to, std::string data) -> task<void> {
      co_await to.send_all(data);
      to.shutdown(weft::shutdown_direction::send);
    };
    auto [ignored, all] =
        co_await weft::when_all(send_then_close(writer, std::move(payload)), receive_all(incoming));
    CHECK(buffers.available() == buffers.count());
    // End of stream is sticky.
    std::optional<weft::provided_buffer> after = co_await incoming.next();
    CHECK_FALSE(after.has_value());
    co_return all;
  }(payload));
  CHECK(received.size() == payload.size());
  CHECK(received == payload);
}

TEST_CASE("a receive starved by a dry ring resumes when another holder gives a buffer back",
          "[io][buffer_ring]") {
  weft::run([]() -> task<void> {
    auto [a_reader, a_writer] = weft::stream_socket_pair();
    auto [b_reader, b_writer] = weft::stream_socket_pair();
    weft::buffer_ring buffers{{.count = 2, .buffer_size = 16}};
    weft::receive_stream from_a{a_reader, buffers};
    weft::receive_stream from_b{b_reader, buffers};

    // A takes both buffers and keeps them.
    co_await a_writer.send_all("first");
    std::optional<weft::provided_buffer> one = co_await from_a.next();
    co_await a_writer.send_all("second");
    std::optional<weft::provided_buffer> two = co_await from_a.next();
    REQUIRE(one.has_value());
    REQUIRE(two.has_value());
    CHECK(text_of(*one) == "first");
    CHECK(text_of(*two) == "second");
    CHECK(buffers.available() == 0);

    // B's data has nowhere to go: its receive waits, parked on the ring.
    co_await b_writer.send_all("for b");
    auto receive_b = [](weft::receive_stream& from) -> task<std::string> {
      std::optional<weft::provided_buffer> chunk = co_await from.next();
      co_return chunk ? text_of(*chunk) : std::string{"(end)"};
    };
    auto give_back_later = [](std::optional<weft::provided_buffer>& held) -> task<void> {
      co_await weft::sleep_for(20ms);
      held.reset();  // the buffer goes back; B is re-armed
    };
    auto [b_got, ignored] = co_await weft::when_all(receive_b(from_b), give_back_later(one));
    CHECK(b_got == "for b");
    two.reset();
    bool all_back = co_await eventually([&] { return buffers.available() == 2; });
    CHECK(all_back);
  }());
}

TEST_CASE("a cancelled next keeps data that arrives later for the next call", "[io][buffer_ring]") {
  weft::run([]() -> task<void> {
    auto [reader, writer] = weft::stream_socket_pair();
    weft::buffer_ring buffers{{.count = 4, .buffer_size = 64}};
    weft::receive_stream incoming{reader, buffers};
    auto next_text = [](weft::receive_stream& from) -> task<std::string> {
      std::optional<weft::provided_buffer> chunk = co_await from.next();
      co_return chunk ? text_of(*chunk) : std::string{"(end)"};
    };
    bool timed_out = false;
    try {
      (void)co_await weft::timeout(next_text(incoming), 5ms);
    } catch (const weft::timed_out&) {
      timed_out = true;
    }
    CHECK(timed_out);
    co_await writer.send_all("late");
    std::string got = co_await next_text(incoming);
    CHECK(got == "late");
  }());
}

TEST_CASE("dropping a receive stream with queued chunks gives every buffer back",
          "[io][buffer_ring]") {
  weft::run([]() -> task<void> {
    auto [reader, writer] = weft::stream_socket_pair();
    weft::buffer_ring buffers{{.count = 8, .buffer_size = 8}};
    {
      weft::receive_stream incoming{reader, buffers};
      co_await writer.send_all("12345678");
      std::optional<weft::provided_buffer> first = co_await incoming.next();
      REQUIRE(first.has_value());
      // More chunks arrive and queue up while nobody takes them.
      for (int i = 0; i < 3; ++i) {
        co_await writer.send_all("abcdefgh");
        co_await weft::sleep_for(1ms);
      }
      CHECK(buffers.available() < buffers.count() - 1);
    }  // dropped with chunks queued and the receive armed
    bool all_back = co_await eventually([&] { return buffers.available() == buffers.count(); });
    CHECK(all_back);
  }());
}

TEST_CASE("a receive whose consumer stops reading pauses and loses nothing", "[io][buffer_ring]") {
  weft::run([]() -> task<void> {
    auto [reader, writer] = weft::stream_socket_pair();
    weft::buffer_ring buffers{{.count = 64, .buffer_size = 4}};
    weft::receive_stream incoming{reader, buffers, {.pause_at = 2}};
    std::optional<weft::provided_buffer> first;
    co_await writer.send_all("0000");
    first = co_await incoming.next();
    REQUIRE(first.has_value());
    // 40 more chunks while nobody reads: the receive pauses after about two, the socket keeps
    // the rest.
    std::string sent = "0000";
    for (int i = 1; i <= 40; ++i) {
      std::string piece = fmt::format("{:04}", i);
      sent += piece;
      co_await writer.send_all(piece);
      co_await weft::yield();
    }
    co_await weft::sleep_for(5ms);
    std::uint32_t lent = buffers.count() - buffers.available();
    INFO("buffers lent out while paused: " << lent);
    CHECK(lent <= 8);  // the held one, the paused queue, and what arrived before the cancel
    writer.shutdown(weft::shutdown_direction::send);
    std::string rest = co_await receive_all(incoming);
    CHECK(text_of(*first) + rest == sent);
  }());
}

TEST_CASE("end of stream behind more than 32 waiting chunks is still seen", "[io][buffer_ring]") {
  // Armed on a socket already holding more than 32 buffers' worth and the end of stream, the
  // kernel's first burst stops after 32 retries and the end of stream never came here (Linux
  // 6.18): a consumer waited forever. receive_stream renews such an arming before that.
  pair_kind kind = GENERATE(pair_kind::unix_stream, pair_kind::tcp);
  std::string received = weft::run([](pair_kind k) -> task<std::string> {
    auto [reader, writer] = co_await connected_pair(k);
    for (int i = 0; i < 41; ++i)
      co_await writer.send_all(fmt::format("{:04}", i));
    writer.shutdown(weft::shutdown_direction::send);
    weft::buffer_ring buffers{{.count = 64, .buffer_size = 4}};
    weft::receive_stream incoming{reader, buffers, {.pause_at = 64}};
    co_return co_await receive_all(incoming);
  }(kind));
  CHECK(received.size() == 41 * 4);
  CHECK(received.substr(received.size() - 4) == "0040");
}

TEST_CASE("end of stream after more than 32 deliveries that each drained the socket is seen",
          "[io][buffer_ring]") {
  // Such an arming is not renewed (its first burst ended with the first delivery): the kernel's
  // own requeues of readiness-driven deliveries must then keep the end of stream.
  pair_kind kind = GENERATE(pair_kind::unix_stream, pair_kind::tcp);
  std::string received = weft::run([](pair_kind k) -> task<std::string> {
    auto [reader, writer] = co_await connected_pair(k);
    weft::buffer_ring buffers{{.count = 8, .buffer_size = 4}};
    weft::receive_stream incoming{reader, buffers};
    std::string got;
    for (int i = 0; i < 40; ++i) {
      co_await writer.send_all(fmt::format("{:04}", i));
      std::optional<weft::provided_buffer> chunk = co_await incoming.next();
      if (!chunk) co_return got + " (early end)";
      got += text_of(*chunk);
    }
    writer.shutdown(weft::shutdown_direction::send);
    co_return got + co_await receive_all(incoming);
  }(kind));
  CHECK(received.size() == 40 * 4);
  CHECK(received.substr(received.size() - 4) == "0039");
}

TEST_CASE("end of stream sent with the last of many bursts of queued chunks is seen",
          "[io][buffer_ring]") {
  // More than 32 deliveries that found more queued, but in bursts after the arming's first
  // delivery: the kernel requeues the receive along the way, with the end of stream pending at
  // the last burst.
  pair_kind kind = GENERATE(pair_kind::unix_stream, pair_kind::tcp);
  std::string received = weft::run([](pair_kind k) -> task<std::string> {
    auto [reader, writer] = co_await connected_pair(k);
    weft::buffer_ring buffers{{.count = 16, .buffer_size = 4}};
    weft::receive_stream incoming{reader, buffers, {.pause_at = 16}};
    co_await writer.send_all("0000");
    std::optional<weft::provided_buffer> first = co_await incoming.next();
    std::string got = first ? text_of(*first) : "(early end)";
    first.reset();
    int next_number = 1;
    for (int burst = 0; burst < 20; ++burst) {
      // Separate sends, so that each lands as a chunk of its own.
      for (int i = 0; i < 3; ++i)
        co_await writer.send_all(fmt::format("{:04}", next_number++));
      if (burst == 19) {
        writer.shutdown(weft::shutdown_direction::send);
        break;
      }
      for (int i = 0; i < 3; ++i) {
        std::optional<weft::provided_buffer> chunk = co_await incoming.next();
        if (!chunk) co_return got + " (early end)";
        got += text_of(*chunk);
      }
    }
    co_return got + co_await receive_all(incoming);
  }(kind));
  CHECK(received.size() == 61 * 4);
  CHECK(received.substr(received.size() - 4) == "0060");
}

TEST_CASE("a reset connection ends a multishot receive with an error naming the peer",
          "[io][buffer_ring]") {
  std::string message = weft::run([]() -> task<std::string> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::stream_socket client = co_await weft::connect(server.local_address());
    weft::stream_socket accepted = co_await server.accept();
    weft::buffer_ring buffers{{.count = 4, .buffer_size = 64}};
    weft::receive_stream incoming{accepted, buffers};
    linger abort_on_close{.l_onoff = 1, .l_linger = 0};
    REQUIRE(::setsockopt(client.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                         sizeof abort_on_close) == 0);
    co_await client.send_all("before the reset");
    co_await client.close();  // RST
    std::string got;
    try {
      while (std::optional<weft::provided_buffer> chunk = co_await incoming.next())
        got += text_of(*chunk);
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == ECONNRESET);
      co_return e.what();
    }
    co_return "(no error; got '" + got + "')";
  }());
  CHECK_THAT(message, Catch::StartsWith("recv from "));
  CHECK_THAT(message, Catch::Contains("reset by peer"));
}

TEST_CASE("a multishot accept yields every connection", "[io][buffer_ring][listener]") {
  constexpr int clients = 50;
  int served = weft::run([]() -> task<int> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::connection_stream connections = server.incoming();
    auto connect_all = [](weft::socket_address to) -> task<int> {
      int answered = 0;
      for (int i = 0; i < clients; ++i) {
        weft::stream_socket s = co_await weft::connect(to);
        co_await s.send_all(fmt::format("{}", i));
        s.shutdown(weft::shutdown_direction::send);
        std::byte buffer[16];
        std::size_t got = co_await s.read_some(buffer);
        if (got == 2) ++answered;
      }
      co_return answered;
    };
    auto accept_all = [](weft::connection_stream& incoming) -> task<void> {
      for (int i = 0; i < clients; ++i) {
        weft::stream_socket connection = co_await incoming.next();
        std::byte buffer[16];
        (void)co_await connection.read_some(buffer);
        co_await connection.send_all("ok");
      }
    };
    auto [answered, ignored] =
        co_await weft::when_all(connect_all(server.local_address()), accept_all(connections));
    co_return answered;
  }());
  CHECK(served == clients);
}

TEST_CASE("connections a multishot accept took but nobody asked for are closed on drop",
          "[io][buffer_ring][listener]") {
  std::size_t before = weft::test::open_fd_count();
  weft::run([]() -> task<void> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    std::vector<weft::stream_socket> clients;
    {
      weft::connection_stream connections = server.incoming();
      weft::stream_socket first_client = co_await weft::connect(server.local_address());
      weft::stream_socket first = co_await connections.next();  // arms the accept
      for (int i = 0; i < 5; ++i)
        clients.push_back(co_await weft::connect(server.local_address()));
      co_await weft::sleep_for(5ms);  // accepted and queued, never taken
    }
    // The queued connections were closed: each client reads end of stream.
    for (weft::stream_socket& client : clients) {
      std::byte buffer[4];
      std::size_t got = co_await client.read_some(buffer);
      CHECK(got == 0);
    }
  }());
  CHECK(weft::test::open_fd_count() == before);
}

TEST_CASE("a cancelled wait on a multishot accept keeps the connection for the next call",
          "[io][buffer_ring][listener]") {
  weft::run([]() -> task<void> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::connection_stream connections = server.incoming();
    bool timed_out = false;
    try {
      (void)co_await weft::timeout(connections.next(), 5ms);
    } catch (const weft::timed_out&) {
      timed_out = true;
    }
    CHECK(timed_out);
    weft::stream_socket client = co_await weft::connect(server.local_address());
    weft::stream_socket accepted = co_await connections.next();
    co_await client.send_all("hi");
    std::byte buffer[4];
    std::size_t got = co_await accepted.read_some(buffer);
    CHECK(got == 2);
  }());
}

TEST_CASE("a loop stops cleanly with multishot operations armed", "[io][buffer_ring]") {
  weft::io_loop loop;  // its ring and eventfd are open before and after
  std::size_t before = weft::test::open_fd_count();
  loop.run([]() -> task<void> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::buffer_ring buffers{{.count = 4, .buffer_size = 64}};
    weft::task_scope scope{"armed", co_await weft::get_stop_token()};
    auto wait_for_connection = [](weft::listener& l) -> task<void> {
      weft::connection_stream connections = l.incoming();
      (void)co_await connections.next();
    };
    auto wait_for_bytes = [](weft::buffer_ring ring) -> task<void> {
      auto [reader, writer] = weft::stream_socket_pair();
      weft::receive_stream incoming{reader, ring};
      (void)co_await incoming.next();
    };
    scope.spawn(wait_for_connection(server), "accepting");
    scope.spawn(wait_for_bytes(buffers), "receiving");
    co_await weft::sleep_for(2ms);
    scope.request_stop();
    co_await scope.join();
  }());
  CHECK(loop.operations_in_flight() == 0);
  CHECK(weft::test::open_fd_count() == before);
}

#include <weft/datagram_socket.hpp>
#include <weft/io_loop.hpp>
#include <weft/listener.hpp>
#include <weft/sleep.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task_scope.hpp>
#include <weft/timeout.hpp>
#include <weft/when_all.hpp>
#include <weft/when_any.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "../support/fd_count.hpp"
#include "../support/sockets.hpp"

using namespace std::chrono_literals;
using weft::task;

namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

// Reads until the peer shuts down sending.
template <class Stream>
task<std::string> read_to_end(Stream& stream) {
  std::string all;
  std::byte buffer[4096];
  while (std::size_t got = co_await stream.read_some(buffer))
    all.append(reinterpret_cast<const char*>(buffer), got);
  co_return all;
}

// Echoes one connection until end of stream, then half-closes.
task<void> echo(weft::stream_socket connection) {
  std::byte buffer[4096];
  while (std::size_t got = co_await connection.read_some(buffer))
    co_await connection.write_all(std::span{buffer, got});
  connection.shutdown(weft::shutdown_direction::send);
}

task<std::string> echo_round_trip(weft::socket_address address) {
  weft::listener server = weft::listener::bind(address);
  weft::socket_address bound = server.local_address();
  auto serve_one = [](weft::listener& l) -> task<void> { co_await echo(co_await l.accept()); };
  auto client = [](weft::socket_address to) -> task<std::string> {
    weft::stream_socket s = co_await weft::connect(to);
    co_await s.send_all("hello, ");
    co_await s.send_all("echo");
    s.shutdown(weft::shutdown_direction::send);
    co_return co_await read_to_end(s);
  };
  auto [ignored, reply] = co_await weft::when_all(serve_one(server), client(bound));
  co_return reply;
}

std::string system_error_text(const std::function<void()>& body) {
  try {
    body();
  } catch (const std::system_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("tcp echo round trip over IPv4 and IPv6 loopback", "[io][socket]") {
  CHECK(weft::run(echo_round_trip(weft::socket_address::loopback())) == "hello, echo");
  CHECK(weft::run(echo_round_trip(weft::socket_address::ipv6("::1", 0))) == "hello, echo");
}

TEST_CASE("unix stream echo round trip over a path and an abstract name", "[io][socket]") {
  char directory[] = "/tmp/weft-socket-XXXXXX";
  REQUIRE(::mkdtemp(directory) != nullptr);
  std::string path = std::string{directory} + "/echo.sock";
  CHECK(weft::run(echo_round_trip(weft::socket_address::unix_path(path))) == "hello, echo");
  ::unlink(path.c_str());
  ::rmdir(directory);
  std::string name = "weft-test-" + std::to_string(::getpid());
  CHECK(weft::run(echo_round_trip(weft::socket_address::unix_abstract(name))) == "hello, echo");
}

TEST_CASE("a stream socket pair carries bytes both ways", "[io][socket]") {
  weft::run([]() -> task<void> {
    auto [a, b] = weft::stream_socket_pair();
    co_await a.send_all("ping");
    std::byte got[4];
    co_await b.recv_exact(got);
    CHECK(std::memcmp(got, "ping", 4) == 0);
    co_await b.send_all("pong");
    co_await a.recv_exact(got);
    CHECK(std::memcmp(got, "pong", 4) == 0);
  }());
}

TEST_CASE("udp send_to and recv_from echo with addresses", "[io][socket]") {
  weft::run([]() -> task<void> {
    auto server = weft::datagram_socket::bind(weft::socket_address::loopback());
    auto client = weft::datagram_socket::bind(weft::socket_address::loopback());
    weft::socket_address server_address = server.local_address();
    co_await client.send_to("datagram", server_address);
    std::byte buffer[64];
    auto received = co_await server.recv_from(buffer);
    CHECK(received.size == 8);
    CHECK(received.from == client.local_address());
    co_await server.send_to(std::span<const std::byte>{buffer, received.size}, received.from);
    auto reply = co_await client.recv_from(buffer);
    CHECK(std::string_view{reinterpret_cast<const char*>(buffer), reply.size} == "datagram");
    CHECK(reply.from.to_string() == server_address.to_string());

    client.connect(server_address);
    co_await client.send(bytes_of("connected"));
    std::size_t got = co_await server.recv(buffer);
    CHECK(got == 9);
  }());
}

TEST_CASE("unix datagram sockets keep message boundaries", "[io][socket]") {
  weft::run([]() -> task<void> {
    auto [a, b] = weft::datagram_socket_pair();
    co_await a.send(bytes_of("one"));
    co_await a.send(bytes_of("three"));
    std::byte buffer[64];
    std::size_t first = co_await b.recv(buffer);
    std::size_t second = co_await b.recv(buffer);
    CHECK(first == 3);
    CHECK(second == 5);

    std::string name = "weft-dgram-" + std::to_string(::getpid());
    auto server = weft::datagram_socket::bind(weft::socket_address::unix_abstract(name));
    auto client = weft::datagram_socket::bind(weft::socket_address::unix_abstract(name + "-c"));
    co_await client.send_to("hi", server.local_address());
    auto received = co_await server.recv_from(buffer);
    CHECK(received.size == 2);
    CHECK(received.from.to_string() == "unix:@" + name + "-c");
  }());
}

TEST_CASE("a refused connect names the address and the reason", "[io][socket]") {
  weft::socket_address address;
  {
    // A port that was just free: bind, read it back, close.
    auto probe = weft::datagram_socket::bind(weft::socket_address::loopback());
    address = weft::socket_address::loopback(probe.local_address().port());
  }
  std::string text = system_error_text([&] {
    weft::run([](weft::socket_address to) -> task<void> { co_await weft::connect(to); }(address));
  });
  CHECK(text == "connect to " + address.to_string() + ": Connection refused");
}

TEST_CASE("half-close: the peer reads end of stream and can still answer", "[io][socket]") {
  weft::run([]() -> task<void> {
    auto [client, server] = weft::stream_socket_pair();
    co_await client.send_all("request");
    client.shutdown(weft::shutdown_direction::send);
    std::string request = co_await read_to_end(server);
    CHECK(request == "request");
    co_await server.send_all("response after EOF");
    server.shutdown(weft::shutdown_direction::send);
    std::string response = co_await read_to_end(client);
    CHECK(response == "response after EOF");
  }());
}

TEST_CASE("a peer that resets mid-send gives ECONNRESET or EPIPE, not SIGPIPE", "[io][socket]") {
  weft::run([]() -> task<void> {
    auto [client, port] = co_await weft::test::connect_to_resetting_peer();
    std::vector<std::byte> chunk(1 << 16);
    int error = 0;
    try {
      for (int i = 0; i < 1000; ++i)
        co_await client.send_all(chunk);
    } catch (const std::system_error& e) {
      error = e.code().value();
      CHECK_THAT(e.what(), Catch::StartsWith("send to 127.0.0.1:" + std::to_string(port)));
    }
    CHECK((error == ECONNRESET || error == EPIPE));
  }());
}

TEST_CASE("send_all delivers every byte in order to a slow reader with a tiny buffer",
          "[io][socket]") {
  weft::run([]() -> task<void> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::stream_socket client = co_await weft::connect(server.local_address());
    weft::stream_socket reader = co_await server.accept();
    reader.set_receive_buffer_size(4096);
    client.set_send_buffer_size(4096);
    constexpr std::size_t total = 128 << 10;
    auto write = [](weft::stream_socket& s) -> task<void> {
      std::vector<std::byte> data(total);
      for (std::size_t i = 0; i < total; ++i)
        data[i] = static_cast<std::byte>(i * 7 % 251);
      co_await s.send_all(data);
      s.shutdown(weft::shutdown_direction::send);
    };
    auto read = [](weft::stream_socket& s) -> task<std::size_t> {
      std::size_t position = 0;
      std::size_t mismatches = 0;
      std::byte buffer[1000];
      while (std::size_t got = co_await s.read_some(buffer)) {
        for (std::size_t i = 0; i < got; ++i, ++position)
          if (buffer[i] != static_cast<std::byte>(position * 7 % 251)) ++mismatches;
        co_await weft::sleep_for(0ms);  // let the writer run between reads
      }
      CHECK(mismatches == 0);
      co_return position;
    };
    auto [ignored, received] = co_await weft::when_all(write(client), read(reader));
    CHECK(received == total);
  }());
}

TEST_CASE("a stop request ends a write_all blocked on a peer that does not read", "[io][socket]") {
  weft::run([]() -> task<void> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::stream_socket client = co_await weft::connect(server.local_address());
    weft::stream_socket idle_peer = co_await server.accept();  // never reads
    client.set_send_buffer_size(4096);
    idle_peer.set_receive_buffer_size(4096);
    std::vector<std::byte> data(8 << 20);
    auto write = [](weft::stream_socket& s, std::span<const std::byte> bytes) -> task<void> {
      co_await s.write_all(bytes);
    };
    bool cancelled = co_await weft::test::cancelled_by_stop_after(write(client, data), 20ms);
    CHECK(cancelled);
  }());
}

TEST_CASE("a shielded write_all finishes although a stop was requested", "[io][socket]") {
  weft::run([]() -> task<void> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    weft::stream_socket client = co_await weft::connect(server.local_address());
    weft::stream_socket reader = co_await server.accept();
    client.set_send_buffer_size(4096);
    reader.set_receive_buffer_size(4096);
    constexpr std::size_t total = 256 << 10;  // many short writes through the small buffers
    std::stop_source stop;
    auto write = [](weft::stream_socket& s, std::stop_source* source) -> task<void> {
      std::vector<std::byte> data(total, std::byte{42});
      source->request_stop();
      co_await weft::shielded(s.write_all(data));
      s.shutdown(weft::shutdown_direction::send);
    };
    auto read = [](weft::stream_socket& s) -> task<std::size_t> {
      co_return (co_await read_to_end(s)).size();
    };
    auto [ignored, received] = co_await weft::when_all(
        weft::with_stop_token(write(client, &stop), stop.get_token()), read(reader));
    CHECK(received == total);
  }());
}

TEST_CASE("connect to a listener whose backlog is full times out", "[io][socket]") {
  weft::run([]() -> task<void> {
    weft::listen_options options;
    options.backlog = 0;
    weft::listener server = weft::listener::bind(weft::socket_address::loopback(), options);
    // Never accepted: these fill the accept queue (backlog 0 holds one), after which the kernel
    // drops SYNs and connects hang.
    std::vector<weft::stream_socket> fillers;
    bool timed_out = false;
    for (int i = 0; i < 8 && !timed_out; ++i) {
      try {
        fillers.push_back(co_await weft::timeout(weft::connect(server.local_address()), 200ms));
      } catch (const weft::timed_out&) {
        timed_out = true;
      }
    }
    CHECK(timed_out);
    CHECK(fillers.size() >= 1);
  }());
}

TEST_CASE("a cancelled accept leaks no descriptor, also when a connection won the race",
          "[io][socket]") {
  std::size_t before = weft::test::open_fd_count();
  auto [won, lost] = weft::run([]() -> task<std::pair<int, int>> {
    int won = 0;
    int lost = 0;
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    for (int round = 0; round < 50; ++round) {
      // A connection is pending while accept races a stop request from a timeout of zero.
      weft::stream_socket client = co_await weft::connect(server.local_address());
      try {
        weft::stream_socket accepted = co_await weft::timeout(server.accept(), 0ms);
        ++won;
      } catch (const weft::timed_out&) {
        ++lost;  // the accept was cancelled; the connection stays in the backlog
      }
      // Accept against an empty queue, cancelled for real.
      try {
        co_await weft::timeout(server.accept(), 1ms);
      } catch (const weft::timed_out&) {
      }
    }
    co_return std::pair{won, lost};
  }());
  INFO("the accept won the race " << won << " times and lost it " << lost << " times");
  CHECK(won + lost == 50);
  CHECK(weft::test::open_fd_count() == before);
}

TEST_CASE("a stop request that loses to a completed accept still hands over the connection",
          "[io][socket]") {
  // Deterministic order on the loop: the accept is queued; in the same batch a connection is made
  // and stop is requested; then the kernel completes the accept before the cancel is processed.
  // The stop claimed the wait first, yet the descriptor the kernel produced is not dropped: the
  // accept yields it, and closing it is the caller's business, as for any socket.
  std::size_t before = weft::test::open_fd_count();
  int outcome = weft::run([]() -> task<int> {
    weft::listener server = weft::listener::bind(weft::socket_address::loopback());
    std::stop_source stop;
    int result = 0;  // 1: got the connection, 2: cancelled
    auto accept_one = [](weft::listener& l, int* out) -> task<void> {
      try {
        weft::stream_socket accepted = co_await l.accept();
        *out = accepted ? 1 : 3;
      } catch (const weft::operation_cancelled&) {
        *out = 2;
      }
    };
    auto connect_then_stop = [](weft::socket_address to, std::stop_source* s) -> task<void> {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      REQUIRE(::connect(fd, to.data(), to.size()) == 0);  // completes at once on loopback
      s->request_stop();
      ::close(fd);
      co_return;
    };
    weft::task_scope scope{"race", std::stop_token{}};
    scope.spawn(weft::with_stop_token(accept_one(server, &result), stop.get_token()), "accept");
    scope.spawn(connect_then_stop(server.local_address(), &stop), "connect");
    co_await scope.join();
    co_return result;
  }());
  CHECK(outcome == 1);
  CHECK(weft::test::open_fd_count() == before);
}

TEST_CASE("accept out of descriptors is a clear error, backs off, and recovers", "[io][socket]") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  weft::run([](rlimit saved) -> task<void> {
    weft::listen_options options;
    options.resource_backoff = 100ms;
    weft::listener server = weft::listener::bind(weft::socket_address::loopback(), options);
    std::vector<weft::stream_socket> clients;
    for (int i = 0; i < 4; ++i)
      clients.push_back(co_await weft::connect(server.local_address()));

    // Walk the paths below once while descriptors are plentiful: UBSan's first check of each
    // dynamic type opens a pipe, and with no descriptor left it would report a false "invalid
    // vptr" instead.
    weft::stream_socket warm = co_await server.accept();
    weft::listener closed = weft::listener::bind(weft::socket_address::loopback(), options);
    co_await closed.close();
    try {
      co_await closed.accept();
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == EBADF);
      CHECK(std::string_view{e.what()}.size() > 0);
    }
    co_await weft::sleep_for(1ms);

    // No descriptor left for the accepted connection: lower the limit to just above the highest
    // descriptor in use and fill every hole below it.
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(weft::test::highest_open_fd()) + 1;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
    std::vector<int> fillers;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
      fillers.push_back(fd);
    REQUIRE(errno == EMFILE);
    // Only record here; the assertions run once descriptors are back (see the warm-up above).
    std::string error;
    int error_code = 0;
    try {
      co_await server.accept();
    } catch (const std::system_error& e) {
      error = e.what();
      error_code = e.code().value();
    }

    // The next accept waits out the back-off instead of failing again at once.
    auto started = std::chrono::steady_clock::now();
    int failures = 0;
    try {
      co_await server.accept();
    } catch (const std::system_error&) {
      ++failures;
    }
    auto waited = std::chrono::steady_clock::now() - started;

    // With descriptors available again, the listener serves the waiting connections.
    for (int fd : fillers)
      ::close(fd);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
    CHECK(error_code == EMFILE);
    CHECK_THAT(error, Catch::StartsWith("accept on socket 127.0.0.1:"));
    CHECK_THAT(error, Catch::EndsWith("Too many open files"));
    CHECK(failures == 1);
    CHECK(waited >= 90ms);
    for (int i = 0; i < 3; ++i) {
      weft::stream_socket accepted = co_await server.accept();
      CHECK(accepted);
    }
  }(saved));
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

TEST_CASE("ten thousand concurrent connections on one loop, every byte accounted for",
          "[io][socket]") {
  // 10,000 connections need 20,000 descriptors, at or over the hard limit of many machines: the
  // clients run in a forked child (its own descriptor table), the server here.
  constexpr int connections = 10'000;
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_max < connections + 100)
    FAIL("the hard RLIMIT_NOFILE (" << limit.rlim_max << ") is below " << connections + 100);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);

  weft::listen_options options;
  options.backlog = 4096;
  weft::listener server = weft::listener::bind(weft::socket_address::loopback(), options);
  weft::socket_address to = server.local_address();
  std::size_t expected = 0;
  for (int i = 0; i < connections; ++i)
    expected += ("connection " + std::to_string(i)).size();

  pid_t clients = ::fork();
  REQUIRE(clients >= 0);
  if (clients == 0) {
    // Every client checks its own echo; the exit status says whether all did.
    std::size_t correct = weft::run([](weft::socket_address to) -> task<std::size_t> {
      std::size_t correct = 0;
      weft::task_scope scope;
      for (int i = 0; i < connections; ++i)
        scope.spawn([](weft::socket_address to, int id, std::size_t& correct) -> task<void> {
          weft::stream_socket s = co_await weft::connect(to);
          std::string message = "connection " + std::to_string(id);
          co_await s.send_all(message);
          s.shutdown(weft::shutdown_direction::send);
          std::string reply = co_await read_to_end(s);
          if (reply == message) ++correct;
        }(to, i, correct));
      co_await scope.join();
      co_return correct;
    }(to));
    std::_Exit(correct == connections ? 0 : 1);
  }

  std::size_t echoed = weft::run([](weft::listener& l) -> task<std::size_t> {
    auto serve_all = [](weft::listener& l) -> task<std::size_t> {
      std::size_t echoed = 0;
      weft::task_scope handlers;
      for (int i = 0; i < connections; ++i)
        handlers.spawn([](weft::stream_socket c, std::size_t& echoed) -> task<void> {
          std::byte buffer[256];
          while (std::size_t got = co_await c.read_some(buffer)) {
            co_await c.write_all(std::span{buffer, got});
            echoed += got;
          }
          c.shutdown(weft::shutdown_direction::send);
        }(co_await l.accept(), echoed));
      co_await handlers.join();
      co_return echoed;
    };
    co_return co_await weft::timeout(serve_all(l), 50s);
  }(server));
  int status = 0;
  REQUIRE(::waitpid(clients, &status, 0) == clients);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(echoed == expected);
}

TEST_CASE("socket addresses parse and print", "[io][socket]") {
  CHECK(weft::socket_address::parse("127.0.0.1:80").to_string() == "127.0.0.1:80");
  CHECK(weft::socket_address::parse("[::1]:443").to_string() == "[::1]:443");
  CHECK(weft::socket_address::parse("[::1]:443").port() == 443);
  CHECK(weft::socket_address::unix_path("/run/x.sock").to_string() == "unix:/run/x.sock");
  CHECK(weft::socket_address::unix_abstract("name").to_string() == "unix:@name");
  CHECK(system_error_text([] { (void)weft::socket_address::parse("localhost:80"); }) ==
        "address 'localhost' (not a numeric IPv4 address): not a valid address");
  CHECK(system_error_text([] { (void)weft::socket_address::parse("1.2.3.4:99999"); }) ==
        "address '1.2.3.4:99999' (the port must be a number from 0 to 65535): not a valid "
        "address");
}

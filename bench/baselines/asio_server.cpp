// bench/baselines/asio_server.cpp — the Boost.Asio baseline for the HTTP plaintext benchmark.
//
// A one-thread HTTP/1.1 server written the way the Asio documentation teaches with C++20
// coroutines: one io_context (concurrency hint 1), an acceptor coroutine co_spawn-ing one session
// coroutine per connection, each looping
//     n = co_await async_read_some(...);   find the requests in it (http_requests.h: parsed as
//                                          examples/http_server parses them)
//     co_await async_write(...);           all their responses, from a static buffer
// with use_awaitable (errors reported through redirect_error, not exceptions). Keep-alive and
// pipelining: the (identical, fixed 78-byte) responses go out in order, one write per read; a
// request saying "Connection: close" (or HTTP/1.0) ends the session after its answer.
// It is a fair baseline because it is the closest mainstream equivalent of weft — stackless C++20
// coroutines over an event loop (Asio 1.74 drives epoll on Linux) — written the idiomatic way, with
// the same parsing as every other server of the benchmark. With --count-only it counts "\r\n\r\n"
// terminators instead, as it did before (see uring_server.c).
//
// usage: asio_server PORT [--count-only]       (stops on SIGTERM/SIGINT)
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "http_requests.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// The response every server of the benchmark sends: exactly 78 bytes.
constexpr char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
constexpr std::size_t kResponseLen = sizeof kResponse - 1;
static_assert(kResponseLen == 78, "the benchmark's response is 78 bytes");

// The response repeated, so one write covers a whole batch.
constexpr std::size_t kResponseCopies = 512;
constexpr std::size_t kResponsesBytes = kResponseCopies * kResponseLen;
const std::array<char, kResponsesBytes> kResponses = [] {
  std::array<char, kResponsesBytes> all{};
  for (std::size_t i = 0; i < kResponseCopies; ++i)
    std::memcpy(all.data() + i * kResponseLen, kResponse, kResponseLen);
  return all;
}();

constexpr std::size_t kReadBufferSize = 4096;

bool count_only = false;  // --count-only: count "\r\n\r\n" instead of parsing

// Counts the requests completed in [p, p+n): each "\r\n\r\n" ends one. `state` carries how much of
// the terminator the previous chunk ended with (0-3), so a terminator split across reads counts.
std::size_t count_requests(const char* p, std::size_t n, std::uint8_t& state) {
  const char* end = p + n;
  std::size_t requests = 0;
  std::uint8_t s = state;
  while (p < end) {
    if (s == 0) {  // not inside a terminator: skip straight to the next '\r'
      p = static_cast<const char*>(std::memchr(p, '\r', static_cast<std::size_t>(end - p)));
      if (p == nullptr) break;
    }
    char c = *p++;
    if (c == '\r') {
      s = (s == 2) ? 3 : 1;
    } else if (c == '\n' && (s == 1 || s == 3)) {
      if (s == 3) {
        ++requests;
        s = 0;
      } else {
        s = 2;
      }
    } else {
      s = 0;
    }
  }
  state = s;
  return requests;
}

asio::awaitable<void> session(tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::array<char, kReadBufferSize> buffer;
  std::uint8_t scan_state = 0;
  http_partial partial{};
  struct free_partial {
    http_partial& p;
    ~free_partial() { http_partial_free(&p); }
  } freeing{partial};
  for (bool open = true; open;) {
    std::size_t n = co_await socket.async_read_some(asio::buffer(buffer),
                                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // EOF or reset: the client is gone
    std::size_t requests = count_only ? count_requests(buffer.data(), n, scan_state)
                                      : http_requests_take(&partial, buffer.data(), n, &open);
    while (requests > 0) {
      std::size_t batch = std::min(requests, kResponseCopies);
      co_await asio::async_write(socket, asio::buffer(kResponses.data(), batch * kResponseLen),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      requests -= batch;
    }
  }
}

asio::awaitable<void> listener(tcp::acceptor acceptor) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      std::fprintf(stderr, "asio_server: accept: %s\n", ec.message().c_str());
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  count_only = argc == 3 && std::strcmp(argv[2], "--count-only") == 0;
  int port = argc == 2 || count_only ? std::atoi(argv[1]) : 0;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: %s PORT [--count-only]\n", argv[0]);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    asio::io_context context{1};
    // Opens, sets SO_REUSEADDR, binds and listens (backlog SOMAXCONN), like the C servers.
    tcp::acceptor acceptor{context, tcp::endpoint{tcp::v4(), static_cast<unsigned short>(port)}};
    asio::co_spawn(context, listener(std::move(acceptor)), asio::detached);
    context.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_server: %s\n", e.what());
    return 1;
  }
}

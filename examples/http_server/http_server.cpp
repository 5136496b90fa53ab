// http_server — a small HTTP/1.1 server on one weft loop.
//
//   http_server [--port N] [--root DIR]
//
// Without --root every request gets the fixed 78-byte "Hello, World!" response (the plaintext
// benchmark); with --root, GET /path serves files below DIR (404 when missing, 403 for paths that
// try to leave DIR). Keep-alive and pipelining: every complete request in what arrived is answered
// in order, and all those answers go out in one send. SIGINT/SIGTERM stop it: it stops accepting,
// lets open connections finish their current requests, and exits 0.
//
// One coroutine per connection, all on the loop thread: nothing here needs a lock, and there is no
// callback: a connection is the straight-line loop "read, answer what is complete, write".
#include <weft/file.hpp>
#include <weft/io_loop.hpp>
#include <weft/listener.hpp>
#include <weft/log.hpp>
#include <weft/signal_set.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task_scope.hpp>
#include <weft/when_any.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

using weft::task;

namespace {

constexpr std::string_view hello_response =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
static_assert(hello_response.size() == 78);

struct server_config {
  std::string root;  // empty: the fixed response
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// What a request head says that matters here.
struct request {
  std::string_view method;
  std::string_view target;
  bool keep_alive = true;
  std::size_t content_length = 0;
};

// Parses "METHOD TARGET VERSION\r\nName: value\r\n...\r\n" (the head, without the final CRLF).
bool parse_head(std::string_view head, request& out) {
  std::size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  std::size_t first_space = line.find(' ');
  std::size_t second_space = line.rfind(' ');
  if (first_space == std::string_view::npos || second_space == first_space) return false;
  out.method = line.substr(0, first_space);
  out.target = line.substr(first_space + 1, second_space - first_space - 1);
  std::string_view version = line.substr(second_space + 1);
  out.keep_alive = version == "HTTP/1.1";
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    std::string_view header = head.substr(0, line_end);
    std::size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = header.substr(0, colon);
    std::string_view value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    if (iequals(name, "connection"))
      out.keep_alive = iequals(value, "keep-alive") || (out.keep_alive && !iequals(value, "close"));
    else if (iequals(name, "content-length"))
      out.content_length = std::strtoull(std::string{value}.c_str(), nullptr, 10);
  }
  return true;
}

void append_status(std::string& out, int status, std::string_view reason, std::string_view body) {
  out += fmt::format("HTTP/1.1 {} {}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n\r\n",
                     status, reason, body.size());
  out += body;
}

// Static-file mode: the file below root that `target` names.
task<void> append_file(std::string& out, const server_config& config, std::string_view target) {
  std::string path{target.substr(0, target.find('?'))};
  if (path.empty() || path.front() != '/' || path.find("/..") != std::string::npos) {
    append_status(out, 403, "Forbidden", "forbidden\n");
    co_return;
  }
  if (path.back() == '/') path += "index.html";
  std::string contents;
  bool found = true;
  try {
    contents = co_await weft::read_text_file(config.root + path);
  } catch (const std::system_error&) {
    found = false;  // missing, a directory, unreadable: all a 404 to the client
  }
  if (!found) {
    append_status(out, 404, "Not Found", "not found\n");
    co_return;
  }
  out += fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", contents.size());
  out += contents;
}

// One connection: read what arrives, answer every complete request in it, send the answers
// together. Ends when the client closes, asks to close, or sends something unparseable.
task<void> serve(weft::stream_socket connection, const server_config* config) {
  std::array<char, 8192> input;
  std::size_t have = 0;
  std::string output;
  bool open = true;
  while (open) {
    std::size_t got =
        co_await connection.read_some(std::as_writable_bytes(std::span{input}.subspan(have)));
    if (got == 0) break;
    have += got;
    std::string_view pending{input.data(), have};
    std::size_t consumed = 0;
    while (open) {
      std::size_t head_end = pending.find("\r\n\r\n", consumed);
      if (head_end == std::string_view::npos) break;
      request r;
      if (!parse_head(pending.substr(consumed, head_end - consumed), r)) {
        append_status(output, 400, "Bad Request", "bad request\n");
        open = false;
        break;
      }
      std::size_t request_end = head_end + 4 + r.content_length;  // bodies are read and ignored
      if (request_end > have) break;                              // wait for the rest of the body
      if (config->root.empty())
        output += hello_response;
      else
        co_await append_file(output, *config, r.target);
      consumed = request_end;
      open = r.keep_alive;
    }
    std::memmove(input.data(), input.data() + consumed, have - consumed);
    have -= consumed;
    if (have == input.size()) {  // one request head larger than the whole buffer
      append_status(output, 431, "Request Header Fields Too Large", "too large\n");
      open = false;
    }
    if (!output.empty()) {
      // Shielded from cancellation: when the server stops, requests it has read still get their
      // answers; the wait for the next request is what a stop interrupts.
      co_await weft::with_stop_token(connection.write_all(output), std::stop_token{});
      output.clear();
    }
  }
}

// Serves a connection, and logs instead of failing the server when the client misbehaves.
task<void> serve_logged(weft::stream_socket connection, const server_config* config) {
  try {
    co_await serve(std::move(connection), config);
  } catch (const std::system_error& e) {
    weft::log_debug("connection ended: {}", e.what());
  }
}

task<void> accept_loop(weft::listener& listener, const server_config* config) {
  weft::task_scope connections{"connections", co_await weft::get_stop_token()};
  try {
    while (true) {
      weft::stream_socket connection = co_await listener.accept();
      connection.set_no_delay(true);  // answers go out at once, not coalesced by Nagle
      connections.spawn(serve_logged(std::move(connection), config), "connection");
    }
  } catch (const weft::operation_cancelled&) {
    // stopping: fall through and let the open connections finish
  } catch (const std::system_error& e) {
    weft::log_error("accept: {}", e.what());  // the listener backs off; carry on
  }
  co_await connections.join();
}

task<int> run_server(std::uint16_t port, server_config config) {
  weft::signal_set stop_signals{SIGINT, SIGTERM};
  weft::listener listener = weft::listener::bind(weft::socket_address::loopback(port));
  std::printf("http_server: listening on %s\n", listener.local_address().to_string().c_str());
  std::fflush(stdout);
  auto wait_for_signal = [](weft::signal_set& signals) -> task<int> {
    co_return co_await signals.wait();
  };
  // Whichever finishes first cancels the other: a signal stops the accept loop (connections then
  // drain), a failing accept loop ends the wait.
  auto outcome =
      co_await weft::when_any(wait_for_signal(stop_signals), accept_loop(listener, &config));
  if (outcome.index() == 0)
    std::printf("http_server: %s, stopped\n", ::strsignal(std::get<0>(outcome)));
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 8080;
  server_config config;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view option = argv[i];
    if (option == "--port")
      port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
    else if (option == "--root")
      config.root = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: http_server [--port N] [--root DIR]\n");
      return 2;
    }
  }
  try {
    return weft::run(run_server(port, std::move(config)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_server: %s\n", e.what());
    return 1;
  }
}

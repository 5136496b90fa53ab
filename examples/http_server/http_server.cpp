// http_server — a small HTTP/1.1 server on one weft loop.
//
//   http_server [--port N] [--root DIR]
//
// Without --root every request gets the fixed 78-byte "Hello, World!" response (the plaintext
// benchmark); with --root, GET /path serves files below DIR (404 when missing, 403 for paths that
// try to leave DIR). Keep-alive and pipelining: every complete request in what arrived is answered
// in order, and all those answers go out together. SIGINT/SIGTERM stop it: it stops accepting,
// gives open connections up to 5 s to take the answers to requests already read, and exits 0.
//
// Input arrives through one multishot accept and, per connection, one multishot receive into a
// shared ring of provided buffers (weft::buffer_ring): no SQE per read, no buffer per idle
// connection.
//
// One coroutine per connection, all on the loop thread: nothing here needs a lock, and there is no
// callback: a connection is the straight-line loop "read, answer what is complete, write".
#include <weft/buffer_ring.hpp>
#include <weft/file.hpp>
#include <weft/io_loop.hpp>
#include <weft/listener.hpp>
#include <weft/log.hpp>
#include <weft/receive_stream.hpp>
#include <weft/signal_set.hpp>
#include <weft/stream_socket.hpp>
#include <weft/stream_writer.hpp>
#include <weft/task_scope.hpp>
#include <weft/timeout.hpp>
#include <weft/when_any.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using weft::task;

namespace {

constexpr std::string_view hello_response =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
static_assert(hello_response.size() == 78);

// The fixed response repeated, shared by every connection: a batch of pipelined requests is
// answered by sending a slice of it, with no per-connection copy (and the kernel copies from
// memory that stays hot in the cache).
constexpr std::size_t hello_copies = 64;
const std::string hello_responses = [] {
  std::string repeated;
  repeated.reserve(hello_copies * hello_response.size());
  for (std::size_t i = 0; i < hello_copies; ++i)
    repeated += hello_response;
  return repeated;
}();

struct server_config {
  std::string root;  // empty: the fixed response
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The first `c` in `text`, or npos. For the short prefixes searched here (a method, a header
// name) a plain loop costs less than a call to memchr.
std::size_t find_near(std::string_view text, char c) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == c) return i;
  return std::string_view::npos;
}

// The first `c` at or after `from`, or npos, eight bytes at a time: a byte of `word ^ pattern` is
// zero where `word` holds `c`, and `(x - ones) & ~x & highs` sets the high bit of the lowest zero
// byte of x (bits above it may be false alarms, so only the lowest counts). Request heads are
// short lines, for which this beats both a byte loop and a call to memchr.
std::size_t find_from(std::string_view text, std::size_t from, char c) {
  static_assert(std::endian::native == std::endian::little, "the lowest byte comes first");
  constexpr std::uint64_t ones = 0x0101010101010101;
  constexpr std::uint64_t highs = 0x8080808080808080;
  const std::uint64_t pattern = ones * static_cast<unsigned char>(c);
  std::size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, 8);
    std::uint64_t x = word ^ pattern;
    if (std::uint64_t zero = (x - ones) & ~x & highs; zero != 0)
      return i + static_cast<std::size_t>(std::countr_zero(zero)) / 8;
  }
  for (; i < text.size(); ++i)
    if (text[i] == c) return i;
  return std::string_view::npos;
}

// What a request head says that matters here.
struct request {
  std::string_view method;
  std::string_view target;
  bool keep_alive = true;
  std::size_t content_length = 0;
};

enum class head_status { complete, incomplete, malformed };

// Parses the request head at the front of `data` — "METHOD TARGET VERSION", then "Name: value"
// lines, then an empty line, each line ended by CRLF (or a bare LF, which RFC 9112 lets a server
// accept) — in one pass over its lines. When complete, `head_size` is its length in bytes.
head_status parse_head(std::string_view data, request& out, std::size_t& head_size) {
  bool request_line = true;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = find_from(data, pos, '\n');
    if (end == std::string_view::npos) return head_status::incomplete;
    std::string_view line = data.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (request_line) {
      std::size_t first_space = find_near(line, ' ');
      // The version is "HTTP/x.y", eight characters: look there before searching.
      constexpr std::size_t version_size = 8;
      std::size_t second_space =
          line.size() > version_size && line[line.size() - version_size - 1] == ' '
              ? line.size() - version_size - 1
              : line.rfind(' ');
      if (first_space == std::string_view::npos || second_space == first_space)
        return head_status::malformed;
      out.method = line.substr(0, first_space);
      out.target = line.substr(first_space + 1, second_space - first_space - 1);
      out.keep_alive = line.substr(second_space + 1) == "HTTP/1.1";
      request_line = false;
      continue;
    }
    if (line.empty()) {
      head_size = pos;
      return head_status::complete;
    }
    std::size_t colon = find_near(line, ':');
    if (colon == std::string_view::npos) return head_status::malformed;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.remove_suffix(1);
    if (iequals(name, "connection")) {
      out.keep_alive = iequals(value, "keep-alive") || (out.keep_alive && !iequals(value, "close"));
    } else if (iequals(name, "content-length")) {
      auto [rest, error] =
          std::from_chars(value.data(), value.data() + value.size(), out.content_length);
      if (error != std::errc{} || rest != value.data() + value.size())
        return head_status::malformed;
    }
  }
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

// Finds the complete requests at the front of `data` and calls `respond(target)` for each, in
// order; returns how many bytes they took. Clears `open` when a request asks to close; a request
// that cannot be parsed is answered 400 and closes the connection.
template <class Respond>
std::size_t parse_requests(std::string_view data, std::string& output, bool& open,
                           Respond respond) {
  std::size_t consumed = 0;
  while (open) {
    request r;
    std::size_t head_size = 0;
    head_status status = parse_head(data.substr(consumed), r, head_size);
    if (status == head_status::incomplete) break;
    if (status == head_status::malformed) {
      append_status(output, 400, "Bad Request", "bad request\n");
      open = false;
      break;
    }
    // Bodies are read and ignored; wait for the rest of one that has not fully arrived.
    if (r.content_length > data.size() - consumed - head_size) break;
    std::size_t request_end = consumed + head_size + r.content_length;
    respond(r.target);
    consumed = request_end;
    open = r.keep_alive;
  }
  return consumed;
}

// Answers the complete requests at the front of `data` into `output`; returns the bytes they
// took. The fixed response needs no I/O, so only static-file mode pays for a coroutine here.
task<std::size_t> answer_from_files(std::string_view data, std::string& output,
                                    const server_config& config, bool& open) {
  std::vector<std::string_view> targets;
  std::string answered;  // a 400 for a request after the good ones goes after their answers
  std::size_t consumed = parse_requests(
      data, answered, open, [&](std::string_view target) { targets.push_back(target); });
  for (std::string_view target : targets)
    co_await append_file(output, config, target);
  output += answered;
  co_return consumed;
}

// One connection: take what arrives, answer every complete request in it, hand the answers to the
// connection's writer. Ends when the client closes, asks to close, or sends something unparseable.
//
// The bytes arrive in buffers of the server's buffer ring through one multishot receive: a
// connection waiting for its next request holds no buffer and costs no SQE. Requests are parsed
// in place in the ring's buffer; only a request split across two arrivals is copied (`partial`).
//
// Answers go out through a weft::stream_writer: handing them over returns at once, and the writer
// sends them while this coroutine waits for the next request, so a send's completion resumes
// nobody. The fixed answers are never copied: write_static sends them from `hello_responses`.
task<void> serve(weft::stream_socket connection, weft::buffer_ring buffers,
                 const server_config* config) {
  constexpr std::size_t max_head = 8192;
  weft::receive_stream incoming{connection, buffers};
  weft::stream_writer out{connection};
  std::string partial;  // the start of a request whose end has not arrived yet
  std::string output;   // answers other than the fixed one, sent after the fixed ones
  bool open = true;
  try {
    while (open) {
      std::optional<weft::provided_buffer> chunk = co_await incoming.next();
      if (!chunk) break;
      std::string_view data{reinterpret_cast<const char*>(chunk->bytes().data()), chunk->size()};
      if (!partial.empty()) {
        partial.append(data);
        data = partial;
      }
      std::size_t hellos = 0;  // fixed responses owed
      std::size_t consumed =
          config->root.empty()
              ? parse_requests(data, output, open, [&hellos](std::string_view) { ++hellos; })
              : co_await answer_from_files(data, output, *config, open);
      if (consumed == data.size()) {
        partial.clear();  // the common case: everything that arrived was answered
      } else {
        std::string rest{data.substr(consumed)};  // `data` may point into `partial`
        partial = std::move(rest);
      }
      chunk.reset();                    // back to the ring: another client may need it
      if (partial.size() > max_head) {  // one request head larger than any sane client sends
        append_status(output, 431, "Request Header Fields Too Large", "too large\n");
        open = false;
      }
      // A write returns at once unless this client let 64 KiB of answers pile up unread.
      for (; hellos != 0; hellos -= std::min(hellos, hello_copies)) {
        std::size_t batch = std::min(hellos, hello_copies);
        co_await out.write_static(
            std::string_view{hello_responses}.substr(0, batch * hello_response.size()));
      }
      if (!output.empty()) {
        co_await out.write(output);  // copied: `output` can be reused at once
        output.clear();
      }
    }
    co_await out.flush();  // the writer drops what it has not sent when it is destroyed
    co_return;
  } catch (const weft::operation_cancelled&) {
    // The server is stopping: the answers handed over still go out, below.
  } catch (const std::system_error& e) {
    // A client that resets or vanishes ends its connection, not the server.
    weft::log_debug("connection ended: {}", e.what());
    co_return;
  }
  // Stopping: requests already read get their answers, within a grace period, so that a client
  // that does not read cannot hold the server up. The shield keeps the server's stop from
  // cancelling the flush at once; the time limit ends it.
  auto flush = [](weft::stream_writer* writer) -> task<void> { co_await writer->flush(); };
  try {
    co_await weft::shielded(weft::timeout(flush(&out), std::chrono::seconds(5)));
  } catch (const std::system_error& e) {  // timed_out is one too
    weft::log_debug("connection ended while stopping: {}", e.what());
  }
}

task<void> accept_loop(weft::listener& listener, const server_config* config) {
  // One ring of 1024 buffers of 4 KiB for every connection of the server (4 MiB in all, however
  // many connections wait).
  weft::buffer_ring buffers{{.count = 1024, .buffer_size = 4096}};
  weft::task_scope connections{"connections", co_await weft::get_stop_token()};
  weft::connection_stream incoming = listener.incoming();  // one multishot accept
  try {
    while (true) {
      try {
        weft::stream_socket connection = co_await incoming.next();
        connection.set_no_delay(true);  // answers go out at once, not coalesced by Nagle
        connections.spawn(serve(std::move(connection), buffers, config), "connection");
      } catch (const std::system_error& e) {
        // Out of descriptors, say: the listener backs off before the next accept; carry on.
        weft::log_error("accept: {}", e.what());
      }
    }
  } catch (const weft::operation_cancelled&) {
    // stopping: fall through and let the open connections finish
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

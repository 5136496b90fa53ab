// check_client — the small client CTest runs against the example servers.
//
//   check_client echo --port N      32 connections, each sends 64 KiB and checks the echo
//   check_client http --port N      keep-alive, pipelined, split, with-body and malformed requests,
//                                   checks every response
//   check_client file --port N      static-file mode: a served file, a 404, a refused "/.."
//   check_client stalled --port N   a client that sends requests and never reads the answers;
//                                   then it stops the server (SIGTERM to $WEFT_SERVER_PID, set by
//                                   with_server.sh) and checks that the server exits anyway
//
// Written with weft too: every connection is a coroutine on one loop.
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/stream_socket.hpp>
#include <weft/timeout.hpp>
#include <weft/when_all.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

using weft::task;

namespace {

task<std::size_t> echo_one(weft::socket_address to, int id) {
  weft::stream_socket s = co_await weft::connect(to);
  std::string sent(64 * 1024, '\0');
  for (std::size_t i = 0; i < sent.size(); ++i)
    sent[i] = static_cast<char>('a' + (i + id) % 26);
  auto write = [](weft::stream_socket& s, const std::string& data) -> task<void> {
    co_await s.send_all(data);
    s.shutdown(weft::shutdown_direction::send);
  };
  auto read = [](weft::stream_socket& s) -> task<std::string> {
    std::string all;
    char buffer[8192];
    while (std::size_t got = co_await s.read_some(std::as_writable_bytes(std::span{buffer})))
      all.append(buffer, got);
    co_return all;
  };
  auto [ignored, received] = co_await weft::when_all(write(s, sent), read(s));
  co_return received == sent ? received.size() : 0;
}

task<int> check_echo(weft::socket_address to) {
  std::vector<task<std::size_t>> clients;
  for (int id = 0; id < 32; ++id)
    clients.push_back(echo_one(to, id));
  std::vector<std::size_t> echoed = co_await weft::when_all(std::move(clients));
  std::size_t good = 0;
  for (std::size_t bytes : echoed)
    good += bytes == 64 * 1024;
  std::printf("check_client: %zu of 32 connections echoed 65536 bytes intact\n", good);
  co_return good == 32 ? 0 : 1;
}

// Sends `requests` at once, then reads until `expected` response bytes arrived (or EOF).
task<std::string> exchange(weft::stream_socket& s, std::string requests, std::size_t expected) {
  co_await s.send_all(requests);
  std::string all;
  char buffer[8192];
  while (all.size() < expected) {
    std::size_t got = co_await s.read_some(std::as_writable_bytes(std::span{buffer}));
    if (got == 0) break;
    all.append(buffer, got);
  }
  co_return all;
}

constexpr std::string_view hello =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

task<int> check_http(weft::socket_address to) {
  weft::stream_socket s = co_await weft::connect(to);
  std::string one = co_await exchange(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", hello.size());
  std::string pipelined;
  for (int i = 0; i < 16; ++i)
    pipelined += "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string sixteen = co_await exchange(s, pipelined, 16 * hello.size());
  std::string expected;
  for (int i = 0; i < 16; ++i)
    expected += hello;
  // A head that arrives in two pieces, and a request with a body (read and ignored).
  co_await s.send_all(std::string_view{"GET / HTTP/1.1\r\nHo"});
  co_await weft::sleep_for(std::chrono::milliseconds(20));
  std::string split = co_await exchange(s, "st: x\r\n\r\n", hello.size());
  std::string with_body =
      co_await exchange(s, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", hello.size());
  std::string last = co_await exchange(s, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1 << 20);
  // Something that is not HTTP, on a connection of its own: 400, then the server closes it.
  weft::stream_socket bad = co_await weft::connect(to);
  std::string refused = co_await exchange(bad, "NONSENSE\r\n\r\n", 1 << 20);
  bool ok = one == hello && sixteen == expected && split == hello && with_body == hello &&
            last == hello && refused.starts_with("HTTP/1.1 400");
  std::printf(
      "check_client: 1 + 16 pipelined + split + with body + closing requests, and a malformed "
      "one: responses %s\n",
      ok ? "all correct" : "WRONG");
  co_return ok ? 0 : 1;
}

task<int> check_file(weft::socket_address to) {
  weft::stream_socket s = co_await weft::connect(to);
  std::string found = co_await exchange(s, "GET /hello.txt HTTP/1.1\r\n\r\n", 1);
  while (found.find("hello from a file\n") == std::string::npos) {
    std::string more = co_await exchange(s, "", found.size() + 1);
    if (more.empty()) break;
    found += more;
  }
  std::string missing = co_await exchange(s, "GET /missing.txt HTTP/1.1\r\n\r\n", 1);
  std::string escape = co_await exchange(s, "GET /../etc/passwd HTTP/1.1\r\n\r\n", 1);
  bool ok = found.starts_with("HTTP/1.1 200 OK") && missing.starts_with("HTTP/1.1 404") &&
            escape.starts_with("HTTP/1.1 403");
  std::printf("check_client: file 200, missing 404, escape 403: %s\n", ok ? "correct" : "WRONG");
  co_return ok ? 0 : 1;
}

// Whether process `pid` has exited (it is then a zombie until with_server.sh reaps it).
bool has_exited(int pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line)) return true;
  std::size_t name_end = line.rfind(')');  // "PID (name) STATE ..."
  return name_end == std::string::npos || line.substr(name_end + 2, 1) == "Z";
}

task<int> check_stalled(weft::socket_address to) {
  const char* server_pid = std::getenv("WEFT_SERVER_PID");
  if (server_pid == nullptr) {
    std::fprintf(stderr, "check_client: stalled mode needs WEFT_SERVER_PID\n");
    co_return 2;
  }
  int pid = std::atoi(server_pid);
  weft::stream_socket s = co_await weft::connect(to);
  s.set_receive_buffer_size(4096);
  // Pipelined requests until the server stops taking them: its answers, never read, have filled
  // the sockets' buffers and its writer's room.
  std::string batch;
  for (int i = 0; i < 1000; ++i)
    batch += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  auto send = [](weft::stream_socket* socket, const std::string* data) -> task<void> {
    co_await socket->send_all(*data);
  };
  bool stalled = false;
  for (int i = 0; i < 5000 && !stalled; ++i) {
    try {
      co_await weft::timeout(send(&s, &batch), std::chrono::milliseconds(500));
    } catch (const weft::timed_out&) {
      stalled = true;
    }
  }
  ::kill(pid, SIGTERM);
  auto stopped_at = std::chrono::steady_clock::now();
  while (!has_exited(pid) &&
         std::chrono::steady_clock::now() - stopped_at < std::chrono::seconds(30))
    co_await weft::sleep_for(std::chrono::milliseconds(50));
  bool exited = has_exited(pid);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - stopped_at);
  std::printf("check_client: a client that never reads: server %s, %s after SIGTERM (%lld ms)\n",
              stalled ? "stalled" : "NEVER STALLED", exited ? "exited" : "STILL RUNNING",
              static_cast<long long>(took.count()));
  co_return stalled&& exited ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::string_view{argv[2]} != "--port") {
    std::fprintf(stderr, "usage: check_client echo|http|file|stalled --port N\n");
    return 2;
  }
  std::string_view mode = argv[1];
  auto to = weft::socket_address::loopback(static_cast<std::uint16_t>(std::atoi(argv[3])));
  try {
    if (mode == "echo") return weft::run(check_echo(to));
    if (mode == "http") return weft::run(check_http(to));
    if (mode == "file") return weft::run(check_file(to));
    if (mode == "stalled") return weft::run(check_stalled(to));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "check_client: %s\n", e.what());
    return 1;
  }
  return 2;
}

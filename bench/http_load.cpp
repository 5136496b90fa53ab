// bench/http_load.cpp — the load generator of the HTTP plaintext benchmark (bench/http_bench.py).
//
// One thread, epoll (level-triggered), non-blocking sockets, no weft: it must cost the machine as
// little as possible and the same for every server measured. Each of --connections keep-alive
// connections keeps --pipeline requests in flight: K requests are written at once, then one new
// request is sent for every response received (those for one read in one write). Responses are
// parsed for real — the status line must say 200, the body length comes from Content-Length, and a
// response may be split across reads or several may arrive in one — so a server that answers
// pipelined requests wrongly shows up as errors, not as speed.
//
// After --warmup-ms it prints "measuring" and at the end of --duration-ms "measured", each line
// flushed at once so a driver can sample the server's CPU time at those moments. It then stops
// sending, waits (up to 2 s) for every request in flight to be answered, and prints the result:
//     requests=<n> seconds=<s> rps=<r> errors=<e>
// requests and seconds cover the measured window only. errors counts non-200 responses and failed
// connections over the whole run (warmup and drain included); a connection fails when the server
// closes it, sends a malformed or unsolicited response, or leaves requests unanswered at the end
// (a server that drops pipelined requests would otherwise just look slow).
// Exit status: 0 on success; 1 if any connection failed, any response was wrong or none came.
//
// usage: http_load --port N [--host 127.0.0.1] [--connections 64] [--pipeline 1]
//                  [--duration-ms 3000] [--warmup-ms 1000] [--cpu C]
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kRequest = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

// The request repeated, so one write covers a whole batch. A write may start part-way into a
// request (after a short write), hence one copy fewer than the buffer holds per write.
constexpr std::size_t kRequestCopies = 1024;
constexpr std::size_t kMaxWriteBytes = (kRequestCopies - 1) * kRequest.size();

constexpr std::size_t kReadChunk = 16 * 1024;       // least free space offered to each read
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;  // a longer header is taken as garbage
constexpr int kMaxEvents = 256;
constexpr std::chrono::milliseconds kDrainTime{2000};  // for the last responses, after the window

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 64;
  int pipeline = 1;
  int duration_ms = 3000;
  int warmup_ms = 1000;
  int cpu = -1;  // -1: do not pin
};

struct Connection {
  int fd = -1;
  std::vector<char> in = std::vector<char>(2 * kReadChunk);  // [begin, end) received, unparsed
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t expected = 0;  // length of the response at `begin` once its header is parsed, else 0
  std::uint64_t unsent = 0;  // request bytes owed to the server
  std::uint32_t phase = 0;   // bytes of the current request already written
  std::uint64_t outstanding = 0;  // requests issued and not yet answered
  bool want_write = false;        // EPOLLOUT armed: the send buffer was full
};

struct Stats {
  std::uint64_t responses = 0;  // complete responses, all of them (200 or not)
  std::uint64_t errors = 0;     // non-200 responses and failed connections
};

std::string g_requests;  // kRequest repeated kRequestCopies times
int g_epoll = -1;
bool g_draining = false;  // after the window: stop sending, wait for what is in flight

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --port N [--host 127.0.0.1] [--connections 64] [--pipeline 1]\n"
               "          [--duration-ms 3000] [--warmup-ms 1000] [--cpu C]\n",
               argv0);
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  auto number = [&](int& i) {
    if (i + 1 >= argc) usage(argv[0]);
    char* end = nullptr;
    long value = std::strtol(argv[++i], &end, 10);
    if (*end != '\0' || value < 0 || value > 1'000'000'000) usage(argv[0]);
    return static_cast<int>(value);
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--host" && i + 1 < argc)
      o.host = argv[++i];
    else if (arg == "--port")
      o.port = number(i);
    else if (arg == "--connections")
      o.connections = number(i);
    else if (arg == "--pipeline")
      o.pipeline = number(i);
    else if (arg == "--duration-ms")
      o.duration_ms = number(i);
    else if (arg == "--warmup-ms")
      o.warmup_ms = number(i);
    else if (arg == "--cpu")
      o.cpu = number(i);
    else
      usage(argv[0]);
  }
  if (o.port <= 0 || o.port > 65535 || o.connections <= 0 || o.pipeline <= 0 || o.duration_ms <= 0)
    usage(argv[0]);
  return o;
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) {
    std::fprintf(stderr, "http_load: sched_setaffinity(CPU %d): %s\n", cpu, std::strerror(errno));
    std::exit(1);
  }
}

// Connects (blocking: the handful of connections is made before any timing starts), then switches
// the socket to non-blocking. Exits on failure: a benchmark with fewer connections than asked
// would not be comparable.
int connect_to(const Options& o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(o.port);
  if (int rc = getaddrinfo(o.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "http_load: %s: %s\n", o.host.c_str(), gai_strerror(rc));
    std::exit(1);
  }
  int fd = -1;
  int error = 0;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      error = errno;
    } else if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    std::fprintf(stderr, "http_load: connect to %s:%d: %s\n", o.host.c_str(), o.port,
                 std::strerror(error));
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void set_interest(Connection& c, bool want_write) {
  if (want_write == c.want_write) return;
  c.want_write = want_write;
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  ev.data.ptr = &c;
  epoll_ctl(g_epoll, EPOLL_CTL_MOD, c.fd, &ev);
}

// Writes the requests owed until done or the socket is full. Returns why the connection failed,
// or nullptr.
const char* flush(Connection& c) {
  while (c.unsent != 0) {
    std::size_t len = std::min<std::uint64_t>(c.unsent, kMaxWriteBytes);
    ssize_t written = send(c.fd, g_requests.data() + c.phase, len, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return std::strerror(errno);
      written = 0;
    }
    c.unsent -= static_cast<std::uint64_t>(written);
    c.phase = static_cast<std::uint32_t>((c.phase + static_cast<std::uint64_t>(written)) %
                                         kRequest.size());
    if (static_cast<std::size_t>(written) < len) break;  // full: wait for EPOLLOUT
  }
  set_interest(c, c.unsent != 0);
  return nullptr;
}

void issue_requests(Connection& c, std::uint64_t count) {
  c.unsent += count * kRequest.size();
  c.outstanding += count;
}

// True if the status line of the header [p, p+len) is "HTTP/1.x 200".
bool status_is_200(const char* p, std::size_t len) {
  return len >= 13 && std::memcmp(p, "HTTP/1.", 7) == 0 && p[8] == ' ' &&
         std::memcmp(p + 9, "200", 3) == 0 && (p[12] == ' ' || p[12] == '\r');
}

// The Content-Length of the header [p, p+len) (which ends with "\r\n\r\n"), or -1 if it has none.
long long content_length(const char* p, std::size_t len) {
  constexpr std::string_view kName = "content-length:";
  const char* end = p + len;
  const char* line = static_cast<const char*>(std::memchr(p, '\n', len));
  while (line != nullptr && ++line < end) {  // `line` starts after each "\n"
    std::size_t left = static_cast<std::size_t>(end - line);
    if (left > kName.size() && strncasecmp(line, kName.data(), kName.size()) == 0) {
      const char* q = line + kName.size();
      while (q < end && (*q == ' ' || *q == '\t'))
        ++q;
      if (q == end || *q < '0' || *q > '9') return -1;
      long long value = 0;
      while (q < end && *q >= '0' && *q <= '9' && value < (1LL << 40))
        value = value * 10 + (*q++ - '0');
      return value;
    }
    line = static_cast<const char*>(std::memchr(line, '\n', left));
  }
  return -1;
}

// Consumes every complete response in c.in. Returns the number completed, or -1 if the stream is
// not a sequence of well-formed Content-Length responses to our requests.
long long parse_responses(Connection& c, Stats& stats) {
  long long completed = 0;
  for (;;) {
    const char* p = c.in.data() + c.begin;
    std::size_t avail = c.end - c.begin;
    if (c.expected == 0) {
      const void* terminator = memmem(p, avail, "\r\n\r\n", 4);
      if (terminator == nullptr) return avail > kMaxHeaderBytes ? -1 : completed;
      std::size_t header_len =
          static_cast<std::size_t>(static_cast<const char*>(terminator) - p) + 4;
      long long body = content_length(p, header_len);
      if (body < 0) return -1;
      if (!status_is_200(p, header_len)) ++stats.errors;
      c.expected = header_len + static_cast<std::size_t>(body);
    }
    if (avail < c.expected) return completed;  // the rest is still on its way
    if (c.outstanding == 0) return -1;         // a response nobody asked for
    c.begin += c.expected;
    c.expected = 0;
    --c.outstanding;
    ++completed;
  }
}

// Reads what has arrived, parses it and sends one new request per response. Returns why the
// connection failed, or nullptr.
const char* on_readable(Connection& c, Stats& stats) {
  if (c.begin == c.end) c.begin = c.end = 0;
  if (c.in.size() - c.end < kReadChunk) {  // make room: compact, then grow if still short
    std::memmove(c.in.data(), c.in.data() + c.begin, c.end - c.begin);
    c.end -= c.begin;
    c.begin = 0;
    if (c.in.size() - c.end < kReadChunk) c.in.resize(c.in.size() * 2);
  }
  ssize_t n = read(c.fd, c.in.data() + c.end, c.in.size() - c.end);
  if (n < 0) return (errno == EAGAIN || errno == EINTR) ? nullptr : std::strerror(errno);
  if (n == 0) return "closed by the server";
  c.end += static_cast<std::size_t>(n);
  long long completed = parse_responses(c, stats);
  if (completed < 0) return "malformed or unsolicited response";
  stats.responses += static_cast<std::uint64_t>(completed);
  if (completed == 0 || g_draining) return nullptr;
  issue_requests(c, static_cast<std::uint64_t>(completed));
  return flush(c);
}

void fail(Connection& c, Stats& stats, const char* why) {
  if (stats.errors < 10) std::fprintf(stderr, "http_load: connection failed: %s\n", why);
  ++stats.errors;
  close(c.fd);  // also leaves the epoll set
  c.fd = -1;
}

// Milliseconds from `now` until `deadline`, rounded up (epoll_wait's timeout).
int until_ms(Clock::time_point deadline, Clock::time_point now) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::max<decltype(left)>(left, 0));
}

// One pass of the event loop: waits up to timeout_ms, then serves every ready connection.
// False only if epoll itself failed.
bool pump(int& alive, Stats& stats, int timeout_ms) {
  epoll_event events[kMaxEvents];
  int n = epoll_wait(g_epoll, events, kMaxEvents, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return true;
    std::perror("http_load: epoll_wait");
    return false;
  }
  for (int i = 0; i < n; ++i) {
    Connection& c = *static_cast<Connection*>(events[i].data.ptr);
    if (c.fd < 0) continue;
    const char* why = nullptr;
    if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) why = on_readable(c, stats);
    if (why == nullptr && (events[i].events & EPOLLOUT)) why = flush(c);
    if (why != nullptr) {
      fail(c, stats, why);
      --alive;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  if (o.cpu >= 0) pin_to_cpu(o.cpu);
  signal(SIGPIPE, SIG_IGN);
  for (std::size_t i = 0; i < kRequestCopies; ++i)
    g_requests += kRequest;

  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  if (g_epoll < 0) {
    std::perror("http_load: epoll_create1");
    return 1;
  }
  std::vector<Connection> connections(static_cast<std::size_t>(o.connections));
  for (Connection& c : connections) {
    c.fd = connect_to(o);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    epoll_ctl(g_epoll, EPOLL_CTL_ADD, c.fd, &ev);
  }

  Stats stats;
  int alive = o.connections;
  for (Connection& c : connections) {
    issue_requests(c, static_cast<std::uint64_t>(o.pipeline));
    if (const char* why = flush(c)) {
      fail(c, stats, why);
      --alive;
    }
  }

  // Warmup, then the measured window: `now` is taken once per pass of the event loop.
  const Clock::time_point start = Clock::now();
  const Clock::time_point warm_end = start + std::chrono::milliseconds(o.warmup_ms);
  const Clock::time_point measure_end = warm_end + std::chrono::milliseconds(o.duration_ms);
  bool measuring = false;
  Clock::time_point window_start;
  std::uint64_t responses_before = 0;
  Clock::time_point now = start;
  while (alive > 0) {
    now = Clock::now();
    if (!measuring && now >= warm_end) {
      measuring = true;
      window_start = now;
      responses_before = stats.responses;
      std::puts("measuring");
      std::fflush(stdout);
    }
    if (measuring && now >= measure_end) break;
    if (!pump(alive, stats, until_ms(measuring ? measure_end : warm_end, now))) return 1;
  }
  if (alive == 0) {  // every connection failed: the window ends now (or never started)
    now = Clock::now();
    if (!measuring) {
      window_start = now;
      responses_before = stats.responses;
    }
  }
  const double seconds = std::chrono::duration<double>(now - window_start).count();
  const std::uint64_t requests = stats.responses - responses_before;
  std::puts("measured");
  std::fflush(stdout);

  // Drain: no new requests; every one in flight must be answered. A server that drops pipelined
  // requests does not fail loudly (its connections just carry fewer requests than we think), so
  // this is where it is caught.
  g_draining = true;
  const Clock::time_point drain_end = Clock::now() + kDrainTime;
  auto unanswered = [&] {
    std::uint64_t total = 0;
    for (const Connection& c : connections)
      if (c.fd >= 0) total += c.outstanding;
    return total;
  };
  while (alive > 0 && unanswered() != 0 && (now = Clock::now()) < drain_end)
    if (!pump(alive, stats, until_ms(drain_end, now))) return 1;
  for (Connection& c : connections) {
    if (c.fd < 0 || c.outstanding == 0) continue;
    char why[96];
    std::snprintf(why, sizeof why, "%llu requests left unanswered",
                  static_cast<unsigned long long>(c.outstanding));
    fail(c, stats, why);
  }

  std::printf("requests=%llu seconds=%.6f rps=%.1f errors=%llu\n",
              static_cast<unsigned long long>(requests), seconds,
              seconds > 0 ? static_cast<double>(requests) / seconds : 0.0,
              static_cast<unsigned long long>(stats.errors));
  std::fflush(stdout);
  for (Connection& c : connections)
    if (c.fd >= 0) close(c.fd);
  return (stats.errors == 0 && requests > 0) ? 0 : 1;
}

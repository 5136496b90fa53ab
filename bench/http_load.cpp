// bench/http_load.cpp — the load generator of the HTTP plaintext benchmark (bench/http_bench.py)
// and the client of the idle-connection memory benchmark (bench/idle_connections.py).
//
// One thread, no weft: it must cost the machine as little as possible and the same for every
// server measured. Each of --connections keep-alive connections keeps --pipeline requests in
// flight: K requests are written at once, then one new request is sent for every response
// received (those a connection receives in one pass of the event loop in one write). Responses
// are parsed for real — the status line must
// say 200, the body length comes from Content-Length, and a response may be split across reads or
// several may arrive in one — so a server that answers pipelined requests wrongly shows up as
// errors, not as speed.
//
// Two I/O engines drive the same connections, parser and accounting (--engine; epoll by default,
// as it needs nothing of the kernel; http_bench.py asks for uring):
//   epoll  level-triggered epoll over non-blocking sockets: per ready connection one read() and,
//          if responses completed, one send(); plus one epoll_wait() per pass.
//   uring  io_uring (Linux >= 6.0; driven through the raw system calls, as http_load links no
//          liburing): one multishot recv per connection into a ring of provided buffers, and at
//          most one send per connection in flight, from a static buffer of requests (no copy).
//          Each pass is a single io_uring_enter that submits one send per connection that got
//          responses in the previous pass (all the requests it owes, however many completions
//          brought the responses) and waits for the next completions, so the per-request syscalls
//          of the epoll engine (read, send, a share of epoll_wait) collapse into a share of one
//          enter.
// On loopback most of a sender's cost is the kernel's TCP transmit and the receiver's softirq
// (charged to the sender), which no engine avoids; what the engines differ in is the syscalls and
// readiness bookkeeping around it. http_bench.py reports the client's CPU per request to compare.
//
// After --warmup-ms it prints "measuring" and at the end of --duration-ms "measured", each line
// flushed at once so a driver can sample the server's CPU time at those moments. It then stops
// sending, waits (up to 2 s) for every request in flight to be answered, and prints the result:
//     requests=<n> seconds=<s> rps=<r> errors=<e> engine=<epoll|uring>
// requests and seconds cover the measured window only. errors counts non-200 responses and failed
// connections over the whole run (warmup and drain included); a connection fails when the server
// closes it, sends a malformed or unsolicited response, or leaves requests unanswered at the end
// (a server that drops pipelined requests would otherwise just look slow).
// Exit status: 0 on success; 1 if any connection failed, any response was wrong or none came.
//
// --idle (idle-connection memory, always on the epoll engine): opens --connections connections,
// sends one request on each and reads its response (at most kIdleWindow connections awaiting
// their response at a time, so the server's accept queue never overflows), then prints
//     idle <connections>
// and holds them all open and silent until its stdin reaches end of file (or a signal ends it).
// Meanwhile any activity on a connection — the server closing it, or sending anything — counts as
// an error. At stdin EOF it prints
//     idle-result connections=<n> open=<still open> errors=<e>
// and exits 0 if every connection was answered with a 200 and stayed open, else 1.
//
// usage: http_load --port N [--host 127.0.0.1] [--connections 64] [--pipeline 1]
//                  [--duration-ms 3000] [--warmup-ms 1000] [--cpu C] [--engine epoll|uring]
//        http_load --port N --idle [--connections 64] [--host 127.0.0.1] [--cpu C]
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kRequest = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

// The request repeated, so one write covers a whole batch. A write may start part-way into a
// request (after a short write), hence one copy fewer than the buffer holds per write.
constexpr std::size_t kRequestCopies = 1024;
constexpr std::size_t kMaxWriteBytes = (kRequestCopies - 1) * kRequest.size();

constexpr std::size_t kReadBytes = 64 * 1024;       // the epoll engine's (shared) read buffer
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;  // a longer header is taken as garbage
constexpr int kMaxEvents = 256;
constexpr std::chrono::milliseconds kDrainTime{2000};  // for the last responses, after the window

// uring engine: provided receive buffers. Each recv completion takes one buffer, handed back at
// the end of the pass that consumed it, so a pass needs about one per connection that answered;
// twice the connections (a power of two, as the buffer ring requires) leaves headroom, and a
// recv that still finds none (ENOBUFS) is simply re-armed.
constexpr std::size_t kRecvBufferBytes = 16 * 1024;
constexpr unsigned kMinRecvBuffers = 64;
constexpr unsigned kMaxRecvBuffers = 4096;  // 64 MiB of address space; touched only as used
constexpr unsigned kBufferGroup = 0;
constexpr unsigned kMaxRingEntries = 4096;  // SQ size cap; a fuller pass submits early

// --idle: connections awaiting their one response at a time (far below the listen backlog).
constexpr std::size_t kIdleWindow = 64;
constexpr std::chrono::seconds kIdleSetupTime{120};  // to open and get every response

using Clock = std::chrono::steady_clock;

enum class EngineKind { epoll, uring };

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 64;
  int pipeline = 1;
  int duration_ms = 3000;
  int warmup_ms = 1000;
  int cpu = -1;  // -1: do not pin
  EngineKind engine = EngineKind::epoll;
  bool idle = false;
};

struct Connection {
  int fd = -1;
  // Response parsing (streaming: the bytes are never kept beyond the read that brought them).
  std::string carry;            // the start of a response whose header is still incomplete
  std::uint64_t body_left = 0;  // body bytes still to come of the response being read
  bool in_body = false;         // the current response's header is parsed, its body is not done
  // Requests.
  std::uint64_t unsent = 0;       // request bytes owed to the server
  std::uint32_t phase = 0;        // bytes of the current request already written
  std::uint64_t outstanding = 0;  // requests issued and not yet answered
  // epoll engine.
  bool want_write = false;  // EPOLLOUT armed: the send buffer was full
  // uring engine.
  bool recv_armed = false;    // the multishot recv is live
  bool send_due = false;      // on the list of connections to send for at the next pass
  std::uint32_t sending = 0;  // bytes of the send in flight (never more than one), 0: none
  bool failed = false;        // shut down; the descriptor is closed once nothing is in flight
};

struct Stats {
  std::uint64_t responses = 0;  // complete responses, all of them (200 or not)
  std::uint64_t errors = 0;     // non-200 responses and failed connections
};

// What a run shares between the driver loop and its engine.
struct Run {
  Stats stats;
  int alive = 0;          // connections that have not failed
  bool draining = false;  // after the window (or --idle): no new requests, wait for those in flight
};

std::string g_requests;  // kRequest repeated kRequestCopies times

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s --port N [--host 127.0.0.1] [--connections 64] [--pipeline 1]\n"
      "          [--duration-ms 3000] [--warmup-ms 1000] [--cpu C] [--engine epoll|uring]\n"
      "       %s --port N --idle [--connections 64] [--host 127.0.0.1] [--cpu C]\n",
      argv0, argv0);
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
    else if (arg == "--engine" && i + 1 < argc) {
      std::string_view name = argv[++i];
      if (name == "epoll")
        o.engine = EngineKind::epoll;
      else if (name == "uring")
        o.engine = EngineKind::uring;
      else
        usage(argv[0]);
    } else if (arg == "--idle")
      o.idle = true;
    else
      usage(argv[0]);
  }
  if (o.port <= 0 || o.port > 65535 || o.connections <= 0 || o.pipeline <= 0 || o.duration_ms <= 0)
    usage(argv[0]);
  if (o.idle && o.engine != EngineKind::epoll) {
    std::fprintf(stderr, "%s: --idle runs on the epoll engine only\n", argv[0]);
    std::exit(2);
  }
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

// Raises the soft RLIMIT_NOFILE (up to the hard limit) if `connections` sockets and a few other
// descriptors would not fit under it; exits if even the hard limit is too low.
void ensure_descriptors(int connections) {
  const rlim_t needed = static_cast<rlim_t>(connections) + 32;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < needed) {
    std::fprintf(stderr,
                 "http_load: %d connections need %llu descriptors; RLIMIT_NOFILE allows %llu\n",
                 connections, static_cast<unsigned long long>(needed),
                 static_cast<unsigned long long>(limit.rlim_cur));
    std::exit(1);
  }
}

// Connects (blocking: connections are made before any timing starts), then switches the socket to
// non-blocking if asked (the epoll engine; io_uring waits for readiness itself). Exits on failure:
// a benchmark with fewer connections than asked would not be comparable.
int connect_to(const Options& o, bool nonblocking) {
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
  if (nonblocking) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void issue_requests(Connection& c, std::uint64_t count) {
  c.unsent += count * kRequest.size();
  c.outstanding += count;
}

// Where the next send of c starts in g_requests, and how long it is.
std::string_view next_send(const Connection& c) {
  return {g_requests.data() + c.phase,
          static_cast<std::size_t>(std::min<std::uint64_t>(c.unsent, kMaxWriteBytes))};
}

// Accounts for `written` request bytes having gone out.
void sent(Connection& c, std::size_t written) {
  c.unsent -= written;
  c.phase = static_cast<std::uint32_t>((c.phase + written) % kRequest.size());
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

// Consumes [p, p+n), the next bytes the server sent on c, and counts the responses it completes.
// Returns that count, or -1 if the stream is not a sequence of well-formed Content-Length
// responses to our requests. Bodies are skipped as they arrive; only an incomplete header is kept
// (in c.carry) until the rest of it comes, so the common case — whole responses in one read —
// never copies.
long long consume(Connection& c, const char* p, std::size_t n, Stats& stats) {
  std::string joined;
  if (!c.carry.empty()) {  // a header split across reads: parse it from one piece
    joined = std::move(c.carry);
    c.carry.clear();
    joined.append(p, n);
    p = joined.data();
    n = joined.size();
  }
  long long completed = 0;
  while (n > 0) {
    if (!c.in_body) {
      const void* terminator = memmem(p, n, "\r\n\r\n", 4);
      if (terminator == nullptr) {
        if (n > kMaxHeaderBytes) return -1;
        c.carry.assign(p, n);
        return completed;
      }
      std::size_t header_len =
          static_cast<std::size_t>(static_cast<const char*>(terminator) - p) + 4;
      long long body = content_length(p, header_len);
      if (body < 0) return -1;
      if (!status_is_200(p, header_len)) ++stats.errors;
      p += header_len;
      n -= header_len;
      c.in_body = true;
      c.body_left = static_cast<std::uint64_t>(body);
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, c.body_left));
    p += take;
    n -= take;
    c.body_left -= take;
    if (c.body_left != 0) return completed;  // the rest of the body is still on its way
    if (c.outstanding == 0) return -1;       // a response nobody asked for
    c.in_body = false;
    --c.outstanding;
    ++completed;
  }
  return completed;
}

// An I/O engine: moves the bytes of every connection. The driver loop (run_load) decides when
// requests are issued and how long to run; the engine sends what is owed, feeds what arrives to
// consume(), issues one new request per response (unless draining) and fails broken connections.
class Engine {
 public:
  virtual ~Engine() = default;
  // Starts watching c (connected, with its first requests issued) and sends what it owes.
  virtual void add(Connection& c) = 0;
  // Waits up to timeout_ms (-1: no limit) for events and handles all that came. False only if the
  // engine itself failed.
  virtual bool pump(int timeout_ms) = 0;
  // Counts c as failed (printing why, for the first few) and closes it.
  virtual void fail(Connection& c, const char* why) = 0;
};

// Shared by the engines: report a failed connection.
void count_failure(Run& run, const char* why) {
  if (run.stats.errors < 10) std::fprintf(stderr, "http_load: connection failed: %s\n", why);
  ++run.stats.errors;
  --run.alive;
}

// Shared by the engines: bytes arrived on c. Returns why c failed, or nullptr; sets *more when new
// requests were issued (the caller then sends them).
const char* on_data(Run& run, Connection& c, const char* p, std::size_t n, bool* more) {
  *more = false;
  long long completed = consume(c, p, n, run.stats);
  if (completed < 0) return "malformed or unsolicited response";
  run.stats.responses += static_cast<std::uint64_t>(completed);
  if (completed == 0 || run.draining) return nullptr;
  issue_requests(c, static_cast<std::uint64_t>(completed));
  *more = true;
  return nullptr;
}

// ---- epoll engine ------------------------------------------------------------------------------

class EpollEngine final : public Engine {
 public:
  explicit EpollEngine(Run& run) : run_(run), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) {
      std::perror("http_load: epoll_create1");
      std::exit(1);
    }
  }
  ~EpollEngine() override { close(epoll_); }

  void add(Connection& c) override {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      std::perror("http_load: epoll_ctl");
      std::exit(1);
    }
    if (const char* why = flush(c)) fail(c, why);
  }

  // --idle: also watch stdin, whose end of file ends the idle phase.
  void watch_stdin() {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the one event that is not a connection's
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, STDIN_FILENO, &ev) != 0) stdin_closed_ = true;
  }
  bool stdin_closed() const { return stdin_closed_; }

  bool pump(int timeout_ms) override {
    epoll_event events[kMaxEvents];
    int n = epoll_wait(epoll_, events, kMaxEvents, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return true;
      std::perror("http_load: epoll_wait");
      return false;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        on_stdin();
        continue;
      }
      Connection& c = *static_cast<Connection*>(events[i].data.ptr);
      if (c.fd < 0) continue;  // failed earlier in this pass
      const char* why = nullptr;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) why = on_readable(c);
      if (why == nullptr && (events[i].events & EPOLLOUT)) why = flush(c);
      if (why != nullptr) fail(c, why);
    }
    return true;
  }

  void fail(Connection& c, const char* why) override {
    count_failure(run_, why);
    close(c.fd);  // also leaves the epoll set
    c.fd = -1;
  }

 private:
  void set_interest(Connection& c, bool want_write) {
    if (want_write == c.want_write) return;
    c.want_write = want_write;
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Writes the requests owed until done or the socket is full. Returns why the connection failed,
  // or nullptr.
  const char* flush(Connection& c) {
    while (c.unsent != 0) {
      std::string_view chunk = next_send(c);
      ssize_t written = send(c.fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (written < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return std::strerror(errno);
        written = 0;
      }
      sent(c, static_cast<std::size_t>(written));
      if (static_cast<std::size_t>(written) < chunk.size()) break;  // full: wait for EPOLLOUT
    }
    set_interest(c, c.unsent != 0);
    return nullptr;
  }

  // Reads what has arrived (one read per readiness event: level-triggered epoll reports the
  // connection again if more is left), parses it and sends one new request per response.
  const char* on_readable(Connection& c) {
    ssize_t n = read(c.fd, buffer_.get(), kReadBytes);
    if (n < 0) return (errno == EAGAIN || errno == EINTR) ? nullptr : std::strerror(errno);
    if (n == 0) return "closed by the server";
    bool more = false;
    if (const char* why = on_data(run_, c, buffer_.get(), static_cast<std::size_t>(n), &more))
      return why;
    return more ? flush(c) : nullptr;
  }

  void on_stdin() {
    char scratch[256];
    ssize_t n = read(STDIN_FILENO, scratch, sizeof scratch);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      stdin_closed_ = true;
      epoll_ctl(epoll_, EPOLL_CTL_DEL, STDIN_FILENO, nullptr);
    }
  }

  Run& run_;
  int epoll_;
  std::unique_ptr<char[]> buffer_{new char[kReadBytes]};  // every read lands here, then is parsed
  bool stdin_closed_ = false;
};

// ---- io_uring engine ---------------------------------------------------------------------------

// A minimal io_uring over the raw system calls and the kernel's UAPI header: http_load links no
// liburing, and needs only this much of it. One thread owns the ring (no SQPOLL), so the
// submission side needs no atomics beyond publishing the tail, and the completion head is ours.
class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    if (sqes_ != nullptr) munmap(sqes_, sqes_bytes_);
    if (cq_map_ != nullptr && cq_map_ != sq_map_) munmap(cq_map_, cq_map_bytes_);
    if (sq_map_ != nullptr) munmap(sq_map_, sq_map_bytes_);
    if (fd_ >= 0) close(fd_);  // cancels whatever is still in flight
  }

  // Creates the ring with `entries` submission slots and cq_entries completion slots (both
  // rounded/clamped by the kernel). Returns 0 or -errno.
  int init(unsigned entries, unsigned cq_entries, unsigned flags) {
    io_uring_params p{};
    p.flags = flags | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    p.cq_entries = cq_entries;
    int fd = static_cast<int>(syscall(__NR_io_uring_setup, entries, &p));
    if (fd < 0) return -errno;
    fd_ = enter_fd_ = fd;
    if (!(p.features & IORING_FEAT_EXT_ARG)) return -ENOSYS;  // a wait with timeout in one enter

    sq_map_bytes_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cq_map_bytes_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP)
      sq_map_bytes_ = cq_map_bytes_ = std::max(sq_map_bytes_, cq_map_bytes_);
    sq_map_ = map(sq_map_bytes_, IORING_OFF_SQ_RING);
    cq_map_ =
        (p.features & IORING_FEAT_SINGLE_MMAP) ? sq_map_ : map(cq_map_bytes_, IORING_OFF_CQ_RING);
    sqes_bytes_ = p.sq_entries * sizeof(io_uring_sqe);
    sqes_ = static_cast<io_uring_sqe*>(map(sqes_bytes_, IORING_OFF_SQES));
    if (sq_map_ == nullptr || cq_map_ == nullptr || sqes_ == nullptr) return -ENOMEM;

    auto* sq = static_cast<char*>(sq_map_);
    sq_head_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
    sq_tail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    sq_mask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
    sq_entries_ = p.sq_entries;
    // Slot i of the indirection array always names SQE i: SQEs are used in ring order.
    auto* array = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    for (unsigned i = 0; i < p.sq_entries; ++i)
      array[i] = i;
    sqe_tail_ = *sq_tail_;

    auto* cq = static_cast<char*>(cq_map_);
    cq_head_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
    cq_tail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
    cq_mask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
    cq_entries_ = p.cq_entries;
    cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);

    // Optional (Linux >= 5.18): enter through a registered ring index, skipping the descriptor
    // lookup on every io_uring_enter.
    io_uring_rsrc_update update{};
    update.offset = ~0u;  // any free slot
    update.data = static_cast<std::uint64_t>(fd_);
    if (register_(IORING_REGISTER_RING_FDS, &update, 1) == 1) {
      enter_fd_ = static_cast<int>(update.offset);
      enter_flags_ = IORING_ENTER_REGISTERED_RING;
    }
    return 0;
  }

  unsigned cq_entries() const { return cq_entries_; }

  int register_(unsigned opcode, void* arg, unsigned count) {
    int rc = static_cast<int>(syscall(__NR_io_uring_register, fd_, opcode, arg, count));
    return rc < 0 ? -errno : rc;
  }

  // A zeroed SQE to fill, or nullptr if the submission queue is full (submit first).
  io_uring_sqe* get_sqe() {
    if (sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE) >= sq_entries_) return nullptr;
    io_uring_sqe* sqe = &sqes_[sqe_tail_++ & sq_mask_];
    std::memset(sqe, 0, sizeof *sqe);
    return sqe;
  }

  // Submits every queued SQE and, if wait_nr > 0, waits until at least wait_nr completions are
  // ready or `timeout` (nullptr: none) passes — in one io_uring_enter. Returns the number
  // submitted or -errno (-ETIME: the wait timed out; completions may still be ready).
  int submit_and_wait(unsigned wait_nr, const __kernel_timespec* timeout) {
    __atomic_store_n(sq_tail_, sqe_tail_, __ATOMIC_RELEASE);  // publish the SQEs
    unsigned to_submit = sqe_tail_ - __atomic_load_n(sq_head_, __ATOMIC_ACQUIRE);
    unsigned flags = enter_flags_;
    io_uring_getevents_arg arg{};
    void* argp = nullptr;
    std::size_t argsz = 0;
    if (wait_nr > 0) {
      flags |= IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
      arg.ts = reinterpret_cast<std::uint64_t>(timeout);
      argp = &arg;
      argsz = sizeof arg;
    }
    if (to_submit == 0 && wait_nr == 0) return 0;
    int rc = static_cast<int>(
        syscall(__NR_io_uring_enter, enter_fd_, to_submit, wait_nr, flags, argp, argsz));
    return rc < 0 ? -errno : rc;
  }

  // Calls handle(cqe) for every ready completion, including any that arrive meanwhile, then
  // releases their slots. Returns how many there were.
  template <typename Handle>
  unsigned for_each_completion(Handle&& handle) {
    unsigned head = *cq_head_;
    unsigned seen = 0;
    while (head != __atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE)) {
      handle(cqes_[head & cq_mask_]);
      ++head;
      ++seen;
    }
    __atomic_store_n(cq_head_, head, __ATOMIC_RELEASE);
    return seen;
  }

 private:
  void* map(std::size_t bytes, unsigned long long offset) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_,
                   static_cast<off_t>(offset));
    return p == MAP_FAILED ? nullptr : p;
  }

  int fd_ = -1;
  int enter_fd_ = -1;
  unsigned enter_flags_ = 0;
  void* sq_map_ = nullptr;
  std::size_t sq_map_bytes_ = 0;
  void* cq_map_ = nullptr;
  std::size_t cq_map_bytes_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  std::size_t sqes_bytes_ = 0;
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned sq_entries_ = 0;
  unsigned sqe_tail_ = 0;  // next SQE to hand out; published to *sq_tail_ on submit
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  unsigned cq_entries_ = 0;
  io_uring_cqe* cqes_ = nullptr;
};

// A ring of provided buffers (IORING_REGISTER_PBUF_RING): the kernel picks one for each recv
// completion; we hand it back once its bytes are parsed.
//
// The ring is an array of io_uring_buf whose first entry's `resv` field doubles as the ring's
// tail. It is addressed here as a plain io_uring_buf array rather than through
// io_uring_buf_ring::bufs: the UAPI header declares `bufs` with __DECLARE_FLEX_ARRAY, whose empty
// struct member has size 1 in C++ (0 in C), which would put bufs[0] at offset 8 instead of 0.
class BufferRing {
 public:
  BufferRing(Ring& ring, unsigned count, unsigned group) : count_(count) {
    static_assert(offsetof(io_uring_buf_ring, tail) == offsetof(io_uring_buf, resv));
    ring_bytes_ = count * sizeof(io_uring_buf);
    void* memory =
        mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (memory == MAP_FAILED) {
      std::perror("http_load: mmap");
      std::exit(1);
    }
    slots_ = static_cast<io_uring_buf*>(memory);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(memory);
    reg.ring_entries = count;
    reg.bgid = static_cast<std::uint16_t>(group);
    if (int rc = ring.register_(IORING_REGISTER_PBUF_RING, &reg, 1); rc < 0) {
      std::fprintf(stderr, "http_load: registering provided buffers: %s (needs Linux >= 5.19)\n",
                   std::strerror(-rc));
      std::exit(1);
    }
    buffers_.reset(new char[count * kRecvBufferBytes]);
    for (unsigned bid = 0; bid < count; ++bid)
      give_back(bid);
    publish();
  }
  ~BufferRing() { munmap(slots_, ring_bytes_); }  // after the ring closed, which unregisters it
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  char* data(unsigned bid) { return buffers_.get() + std::size_t{bid} * kRecvBufferBytes; }

  // Queues buffer bid for the kernel again; it sees it at the next publish(). Only addr, len and
  // bid are written: slot 0's resv is the tail.
  void give_back(unsigned bid) {
    io_uring_buf& slot = slots_[(tail_ + pending_++) & (count_ - 1)];
    slot.addr = reinterpret_cast<std::uintptr_t>(data(bid));
    slot.len = kRecvBufferBytes;
    slot.bid = static_cast<std::uint16_t>(bid);
  }

  // Makes every given-back buffer visible to the kernel with one tail update.
  void publish() {
    if (pending_ == 0) return;
    tail_ = static_cast<std::uint16_t>(tail_ + pending_);
    pending_ = 0;
    __atomic_store_n(&slots_[0].resv, tail_, __ATOMIC_RELEASE);
  }

 private:
  unsigned count_;
  std::size_t ring_bytes_ = 0;
  io_uring_buf* slots_ = nullptr;  // the shared ring
  std::unique_ptr<char[]> buffers_;
  std::uint16_t tail_ = 0;  // our copy of the ring's tail (the kernel only reads it)
  unsigned pending_ = 0;    // buffers given back since the last publish()
};

class UringEngine final : public Engine {
 public:
  UringEngine(Run& run, std::vector<Connection>& connections)
      : run_(run), connections_(connections) {
    const unsigned wanted =
        static_cast<unsigned>(std::min<std::size_t>(2 * connections.size(), kMaxRingEntries));
    const unsigned entries = std::bit_ceil(std::max(wanted, 64u));
    // The fastest mode this kernel accepts (the same ladder as uring_server and weft's loop).
    // DEFER_TASKRUN runs the completions' work only inside our own io_uring_enter, in one batch.
    // Multishot recvs complete many times per submission: a larger completion queue.
    static constexpr unsigned kAttempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int rc = -EINVAL;
    for (unsigned flags : kAttempts)
      if ((rc = ring_.init(entries, entries * 4, flags)) != -EINVAL) break;
    if (rc < 0) {
      std::fprintf(stderr, "http_load: io_uring setup: %s\n", std::strerror(-rc));
      std::exit(1);
    }
    buffers_.emplace(ring_, std::bit_ceil(std::clamp(wanted, kMinRecvBuffers, kMaxRecvBuffers)),
                     kBufferGroup);
  }

  void add(Connection& c) override {
    arm_recv(c);
    send_later(c);
  }

  bool pump(int timeout_ms) override {
    // The sends owed since the last pass: one per connection, with everything it owes by now.
    for (Connection* c : send_due_) {
      c->send_due = false;
      maybe_send(*c);
    }
    send_due_.clear();

    // One enter submits this pass's sends and waits. Sends usually complete during the submit
    // itself, so waiting for just one completion would return at once with only those and cost a
    // second enter to wait for responses: wait for one completion beyond them instead. (A send
    // that blocks on a full socket completes once the server reads, which it must do to answer;
    // the timeout bounds the wait regardless.)
    __kernel_timespec ts{};
    const __kernel_timespec* timeout = nullptr;
    if (timeout_ms >= 0) {
      ts.tv_sec = timeout_ms / 1000;
      ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1'000'000;
      timeout = &ts;
    }
    const unsigned wait_nr = std::min(sends_unsubmitted_ + 1, ring_.cq_entries() / 2);
    sends_unsubmitted_ = 0;
    int rc = ring_.submit_and_wait(wait_nr, timeout);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      std::fprintf(stderr, "http_load: io_uring_enter: %s\n", std::strerror(-rc));
      return false;
    }
    ring_.for_each_completion([this](const io_uring_cqe& cqe) {
      Connection& c = connections_[cqe.user_data & kIndexMask];
      if ((cqe.user_data >> kOpShift) == kOpRecv)
        on_recv(c, cqe);
      else
        on_send(c, cqe);
    });
    buffers_->publish();  // one tail update for every buffer consumed in the pass
    return true;
  }

  void fail(Connection& c, const char* why) override {
    if (c.failed || c.fd < 0) return;
    count_failure(run_, why);
    c.failed = true;
    c.unsent = 0;
    // A pending operation holds its own reference to the socket, so close() alone would leave the
    // multishot recv armed forever: shut the socket down to end it (and any send), and close the
    // descriptor once their completions are in.
    shutdown(c.fd, SHUT_RDWR);
    maybe_close(c);
  }

 private:
  static constexpr unsigned kOpShift = 32;
  static constexpr std::uint64_t kIndexMask = 0xffffffffu;
  static constexpr std::uint64_t kOpRecv = 1;
  static constexpr std::uint64_t kOpSend = 2;

  // user_data: the operation in the high 32 bits, the connection's index in the low 32.
  std::uint64_t user_data(std::uint64_t op, const Connection& c) const {
    return (op << kOpShift) | static_cast<std::uint64_t>(&c - connections_.data());
  }

  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = ring_.get_sqe();
    if (sqe == nullptr) {  // submission queue full: submit what is queued and retry
      int rc = ring_.submit_and_wait(0, nullptr);
      sends_unsubmitted_ = 0;  // their completions may be consumed in this very pass
      sqe = ring_.get_sqe();
      if (sqe == nullptr) {
        std::fprintf(stderr, "http_load: io_uring submission queue stuck (%s)\n",
                     std::strerror(rc < 0 ? -rc : EBUSY));
        std::exit(1);
      }
    }
    return sqe;
  }

  void arm_recv(Connection& c) {
    io_uring_sqe* sqe = get_sqe();
    sqe->opcode = IORING_OP_RECV;
    sqe->fd = c.fd;
    sqe->ioprio = IORING_RECV_MULTISHOT;  // one submission, a completion per arrival
    sqe->flags = IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    sqe->user_data = user_data(kOpRecv, c);
    c.recv_armed = true;
  }

  // Queues c to send at the start of the next pass, so that all the responses a pass brings for
  // it (several completions, at times) are answered with one send.
  void send_later(Connection& c) {
    if (c.send_due) return;
    c.send_due = true;
    send_due_.push_back(&c);
  }

  // Sends the next slice of what is owed, if anything is and no send is in flight (one at a time
  // keeps the bytes in order). The bytes come straight from g_requests: nothing is copied.
  void maybe_send(Connection& c) {
    if (c.sending != 0 || c.unsent == 0 || c.failed) return;
    std::string_view chunk = next_send(c);
    io_uring_sqe* sqe = get_sqe();
    sqe->opcode = IORING_OP_SEND;
    sqe->fd = c.fd;
    sqe->addr = reinterpret_cast<std::uintptr_t>(chunk.data());
    sqe->len = static_cast<std::uint32_t>(chunk.size());
    sqe->msg_flags = MSG_NOSIGNAL;
    sqe->user_data = user_data(kOpSend, c);
    c.sending = static_cast<std::uint32_t>(chunk.size());
    ++sends_unsubmitted_;
  }

  void maybe_close(Connection& c) {
    if (!c.failed || c.recv_armed || c.sending != 0 || c.fd < 0) return;
    close(c.fd);
    c.fd = -1;
  }

  void on_recv(Connection& c, const io_uring_cqe& cqe) {
    if (!(cqe.flags & IORING_CQE_F_MORE)) c.recv_armed = false;
    const char* why = nullptr;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      unsigned bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      if (cqe.res > 0 && !c.failed) {
        bool more = false;
        why = on_data(run_, c, buffers_->data(bid), static_cast<std::size_t>(cqe.res), &more);
        if (more) send_later(c);
      }
      buffers_->give_back(bid);  // its bytes are consumed
    } else if (cqe.res == 0) {
      why = "closed by the server";
    } else if (cqe.res < 0 && cqe.res != -ENOBUFS) {  // ENOBUFS: the buffers ran out; re-arm
      why = std::strerror(-cqe.res);
    }
    if (why != nullptr) fail(c, why);
    if (!c.recv_armed && !c.failed) arm_recv(c);  // the multishot ended (ENOBUFS, or it just does)
    maybe_close(c);
  }

  void on_send(Connection& c, const io_uring_cqe& cqe) {
    c.sending = 0;
    if (cqe.res >= 0) {
      if (!c.failed) sent(c, static_cast<std::size_t>(cqe.res));  // a short send just goes on
      send_later(c);  // the rest of a short send, or requests issued while this one was in flight
    } else if (cqe.res == -EINTR || cqe.res == -EAGAIN) {
      send_later(c);
    } else {
      fail(c, std::strerror(-cqe.res));
    }
    maybe_close(c);
  }

  Run& run_;
  std::vector<Connection>& connections_;
  // Declared before ring_ so it outlives it: the ring is closed (ending every recv that could
  // still write into a buffer) before the buffers are freed.
  std::optional<BufferRing> buffers_;
  Ring ring_;
  std::vector<Connection*> send_due_;  // connections to send for at the next pass
  unsigned sends_unsubmitted_ = 0;     // sends queued since the last submit
};

// Milliseconds from `now` until `deadline`, rounded up (the engines' timeout).
int until_ms(Clock::time_point deadline, Clock::time_point now) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
  return static_cast<int>(std::max<decltype(left)>(left, 0));
}

std::unique_ptr<Engine> make_engine(EngineKind kind, Run& run,
                                    std::vector<Connection>& connections) {
  if (kind == EngineKind::uring) return std::make_unique<UringEngine>(run, connections);
  return std::make_unique<EpollEngine>(run);
}

// The load benchmark: warmup, measured window, drain; prints the result line.
int run_load(const Options& o) {
  std::vector<Connection> connections(static_cast<std::size_t>(o.connections));
  Run run;
  run.alive = o.connections;
  std::unique_ptr<Engine> engine = make_engine(o.engine, run, connections);
  for (Connection& c : connections)
    c.fd = connect_to(o, o.engine == EngineKind::epoll);
  for (Connection& c : connections) {
    issue_requests(c, static_cast<std::uint64_t>(o.pipeline));
    engine->add(c);
  }

  // Warmup, then the measured window: `now` is taken once per pass of the event loop.
  const Clock::time_point start = Clock::now();
  const Clock::time_point warm_end = start + std::chrono::milliseconds(o.warmup_ms);
  const Clock::time_point measure_end = warm_end + std::chrono::milliseconds(o.duration_ms);
  bool measuring = false;
  Clock::time_point window_start;
  std::uint64_t responses_before = 0;
  Clock::time_point now = start;
  while (run.alive > 0) {
    now = Clock::now();
    if (!measuring && now >= warm_end) {
      measuring = true;
      window_start = now;
      responses_before = run.stats.responses;
      std::puts("measuring");
      std::fflush(stdout);
    }
    if (measuring && now >= measure_end) break;
    if (!engine->pump(until_ms(measuring ? measure_end : warm_end, now))) return 1;
  }
  if (run.alive == 0) {  // every connection failed: the window ends now (or never started)
    now = Clock::now();
    if (!measuring) {
      window_start = now;
      responses_before = run.stats.responses;
    }
  }
  const double seconds = std::chrono::duration<double>(now - window_start).count();
  const std::uint64_t requests = run.stats.responses - responses_before;
  std::puts("measured");
  std::fflush(stdout);

  // Drain: no new requests; every one in flight must be answered. A server that drops pipelined
  // requests does not fail loudly (its connections just carry fewer requests than we think), so
  // this is where it is caught.
  run.draining = true;
  const Clock::time_point drain_end = Clock::now() + kDrainTime;
  auto unanswered = [&] {
    std::uint64_t total = 0;
    for (const Connection& c : connections)
      if (c.fd >= 0 && !c.failed) total += c.outstanding;
    return total;
  };
  while (run.alive > 0 && unanswered() != 0 && (now = Clock::now()) < drain_end)
    if (!engine->pump(until_ms(drain_end, now))) return 1;
  for (Connection& c : connections) {
    if (c.fd < 0 || c.failed || c.outstanding == 0) continue;
    char why[96];
    std::snprintf(why, sizeof why, "%llu requests left unanswered",
                  static_cast<unsigned long long>(c.outstanding));
    engine->fail(c, why);
  }

  std::printf("requests=%llu seconds=%.6f rps=%.1f errors=%llu engine=%s\n",
              static_cast<unsigned long long>(requests), seconds,
              seconds > 0 ? static_cast<double>(requests) / seconds : 0.0,
              static_cast<unsigned long long>(run.stats.errors),
              o.engine == EngineKind::uring ? "uring" : "epoll");
  std::fflush(stdout);
  engine.reset();  // the ring first: it may still reference the sockets
  for (Connection& c : connections)
    if (c.fd >= 0) close(c.fd);
  return (run.stats.errors == 0 && requests > 0) ? 0 : 1;
}

// --idle: open the connections, one request and response each, then hold them until stdin EOF.
int run_idle(const Options& o) {
  std::vector<Connection> connections(static_cast<std::size_t>(o.connections));
  Run run;
  run.draining = true;  // exactly one request per connection: responses issue no more
  EpollEngine engine(run);
  engine.watch_stdin();

  // A connection is settled once answered or failed (a failure counts as an error either way).
  const Clock::time_point deadline = Clock::now() + kIdleSetupTime;
  std::size_t opened = 0;
  auto settled = [&] {
    return run.stats.responses + (opened - static_cast<std::size_t>(run.alive));
  };
  auto pump_until_settled = [&](std::size_t target) {
    for (Clock::time_point now; settled() < target;) {
      if ((now = Clock::now()) >= deadline) return false;
      if (!engine.pump(until_ms(deadline, now))) return false;
    }
    return true;
  };
  for (Connection& c : connections) {
    // At most kIdleWindow connections wait for their response (and so, at worst, for the server
    // to accept them) at a time.
    if (opened >= kIdleWindow && !pump_until_settled(opened - kIdleWindow + 1)) break;
    c.fd = connect_to(o, true);
    ++opened;
    ++run.alive;
    issue_requests(c, 1);
    engine.add(c);
  }
  bool complete = opened == connections.size() && pump_until_settled(opened);
  if (!complete || run.stats.errors != 0) {
    std::fprintf(stderr, "http_load: --idle: %llu of %d connections answered, %llu errors%s\n",
                 static_cast<unsigned long long>(run.stats.responses), o.connections,
                 static_cast<unsigned long long>(run.stats.errors),
                 complete ? "" : " (gave up waiting)");
    return 1;
  }
  std::printf("idle %d\n", o.connections);
  std::fflush(stdout);

  // Idle: nothing should happen on any connection until stdin ends; whatever does is an error.
  while (!engine.stdin_closed())
    if (!engine.pump(-1)) return 1;
  std::printf("idle-result connections=%d open=%d errors=%llu\n", o.connections, run.alive,
              static_cast<unsigned long long>(run.stats.errors));
  std::fflush(stdout);
  for (Connection& c : connections)
    if (c.fd >= 0) close(c.fd);
  return (run.stats.errors == 0 && run.alive == o.connections) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  if (o.cpu >= 0) pin_to_cpu(o.cpu);
  signal(SIGPIPE, SIG_IGN);
  ensure_descriptors(o.connections);
  for (std::size_t i = 0; i < kRequestCopies; ++i)
    g_requests += kRequest;
  return o.idle ? run_idle(o) : run_load(o);
}

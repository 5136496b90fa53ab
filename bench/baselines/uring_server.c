/* bench/baselines/uring_server.c — the raw io_uring baseline for the HTTP plaintext benchmark.
 *
 * A one-thread HTTP/1.1 server written directly against liburing, doing the best straightforward
 * io_uring thing, with no runtime in between:
 *   - one multishot accept on the listening socket;
 *   - one multishot recv per connection, reading into a shared ring of provided buffers
 *     (IORING_REGISTER_PBUF_RING), each buffer handed back as soon as it has been scanned;
 *   - requests are parsed as examples/http_server parses them (http_requests.h: request line,
 *     headers, Connection, Content-Length, a request split across reads kept until it is whole);
 *   - one send per batch: every request found in a recv completion adds one fixed 78-byte
 *     response; all of them go out in a single send from a static buffer holding the response
 *     repeated, so no per-connection output buffer and no copying;
 *   - the ring is set up like weft's (SINGLE_ISSUER | DEFER_TASKRUN, falling back to COOP_TASKRUN,
 *     then to no flags) so the two differ in what runs between the kernel and the handler, not in
 *     how the kernel is driven.
 * Keep-alive and pipelining: the responses (all identical) are sent in order, at most one send in
 * flight per connection; a request saying "Connection: close" (or HTTP/1.0) closes the connection
 * once the answers to it and those before it have gone.
 * It is a fair baseline because it is what a competent C programmer would write for this exact
 * workload: it does the HTTP work the weft server does and pays for no abstraction at all.
 *
 * With --count-only it parses nothing: each "\r\n\r\n" counts as one request. That was this
 * baseline until weft's server was measured to spend ~2% of its CPU at 16 requests in flight on
 * the header parsing the baseline skipped; it stays for comparison with figures taken before.
 *
 * usage: uring_server PORT [--count-only]
 *        (needs Linux >= 6.0 for multishot recv; stops on SIGTERM/SIGINT)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_requests.h"

/* The response every server of the benchmark sends: exactly 78 bytes. */
static const char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
#define RESPONSE_LEN (sizeof kResponse - 1)
_Static_assert(RESPONSE_LEN == 78, "the benchmark's response is 78 bytes");

/* The response repeated, so one send covers a whole batch. A send may start part-way into a
 * response (after a short send), hence one copy fewer than the buffer holds per send. */
#define RESPONSE_COPIES 512
#define MAX_SEND_BYTES ((RESPONSE_COPIES - 1) * RESPONSE_LEN)
static char g_responses[RESPONSE_COPIES * RESPONSE_LEN];

/* Provided-buffer ring for multishot recv: a power of two entries, one buffer group. */
#define RECV_BUFFER_COUNT 1024
#define RECV_BUFFER_SIZE 4096
#define BUFFER_GROUP 0

#define RING_ENTRIES 1024

/* user_data: the operation in the high 32 bits, the file descriptor in the low 32. */
enum op { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3 };
static inline uint64_t make_user_data(enum op op, int fd) {
  return ((uint64_t)op << 32) | (uint32_t)fd;
}

/* Counts the requests completed in [p, p+n): each "\r\n\r\n" ends one. *state carries how much of
 * the terminator the previous chunk ended with (0-3), so a terminator split across reads counts. */
static unsigned count_requests(const char* p, size_t n, uint8_t* state) {
  const char* end = p + n;
  unsigned requests = 0;
  uint8_t s = *state;
  while (p < end) {
    if (s == 0) { /* not inside a terminator: skip straight to the next '\r' */
      p = memchr(p, '\r', (size_t)(end - p));
      if (p == NULL) break;
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
  *state = s;
  return requests;
}

static bool g_count_only; /* --count-only: count "\r\n\r\n" instead of parsing */

/* Per-connection state, indexed by file descriptor. */
struct conn {
  struct http_partial partial; /* an unfinished request (http_requests.h) */
  uint64_t unsent;             /* response bytes owed to the client and not yet sent */
  uint32_t phase;              /* bytes of the current response already sent (0..77) */
  uint8_t scan_state;          /* count_requests' carry (--count-only) */
  bool recv_armed;             /* the multishot recv is still live */
  bool send_inflight; /* a send is submitted (never more than one: keeps the bytes in order) */
  bool closing;       /* peer finished or the connection failed: close once idle */
};

static struct io_uring g_ring;
static struct io_uring_buf_ring* g_buf_ring;
static char* g_recv_buffers;
static unsigned g_buffers_to_return; /* handed back in one tail update per completion batch */
static struct conn* g_conns;
static size_t g_conn_capacity;

static void die(const char* what, int error) {
  fprintf(stderr, "uring_server: %s: %s\n", what, strerror(error));
  exit(1);
}

static struct io_uring_sqe* get_sqe(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&g_ring);
  if (sqe == NULL) { /* submission queue full: flush it and retry */
    io_uring_submit(&g_ring);
    sqe = io_uring_get_sqe(&g_ring);
    if (sqe == NULL) die("io_uring_get_sqe", EBUSY);
  }
  return sqe;
}

static struct conn* conn_for(int fd) {
  if ((size_t)fd >= g_conn_capacity) {
    size_t capacity = g_conn_capacity ? g_conn_capacity : 1024;
    while (capacity <= (size_t)fd)
      capacity *= 2;
    struct conn* grown = realloc(g_conns, capacity * sizeof *grown);
    if (grown == NULL) die("realloc", ENOMEM);
    memset(grown + g_conn_capacity, 0, (capacity - g_conn_capacity) * sizeof *grown);
    g_conns = grown;
    g_conn_capacity = capacity;
  }
  return &g_conns[fd];
}

static void arm_accept(int listen_fd) {
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, make_user_data(OP_ACCEPT, listen_fd));
}

static void arm_recv(int fd, struct conn* c) {
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = BUFFER_GROUP;
  io_uring_sqe_set_data64(sqe, make_user_data(OP_RECV, fd));
  c->recv_armed = true;
}

/* Sends the next slice of what is owed, if anything is and no send is in flight. */
static void maybe_send(int fd, struct conn* c) {
  if (c->send_inflight || c->unsent == 0) return;
  size_t len = c->unsent < MAX_SEND_BYTES ? (size_t)c->unsent : MAX_SEND_BYTES;
  struct io_uring_sqe* sqe = get_sqe();
  io_uring_prep_send(sqe, fd, g_responses + c->phase, len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, make_user_data(OP_SEND, fd));
  c->send_inflight = true;
}

/* Closes the connection once nothing is outstanding on it. The descriptor is only reused by a
 * later accept after this, so a stale completion can never be mistaken for a new connection's. */
static void maybe_close(int fd, struct conn* c) {
  if (!c->closing || c->recv_armed || c->send_inflight || c->unsent != 0) return;
  close(fd);
  http_partial_free(&c->partial);
  memset(c, 0, sizeof *c);
}

/* The connection is broken: drop what is owed and make the live recv finish. */
static void fail_conn(int fd, struct conn* c) {
  c->closing = true;
  c->unsent = 0;
  if (c->recv_armed) shutdown(fd, SHUT_RDWR);
}

static void on_accept(int listen_fd, const struct io_uring_cqe* cqe) {
  if (cqe->res >= 0) {
    int fd = cqe->res;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = conn_for(fd);
    memset(c, 0, sizeof *c);
    arm_recv(fd, c);
  } else if (cqe->res != -EINTR && cqe->res != -ECONNABORTED) {
    fprintf(stderr, "uring_server: accept: %s\n", strerror(-cqe->res));
  }
  if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept(listen_fd); /* the multishot ended: re-arm */
}

static void on_recv(int fd, const struct io_uring_cqe* cqe) {
  struct conn* c = conn_for(fd);
  if (!(cqe->flags & IORING_CQE_F_MORE)) c->recv_armed = false;
  if (cqe->res > 0) {
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    char* buffer = g_recv_buffers + (size_t)bid * RECV_BUFFER_SIZE;
    bool open = true;
    unsigned requests = c->closing ? 0
                        : g_count_only
                            ? count_requests(buffer, (size_t)cqe->res, &c->scan_state)
                            : http_requests_take(&c->partial, buffer, (size_t)cqe->res, &open);
    /* The bytes are consumed (or kept in c->partial): hand the buffer straight back. */
    io_uring_buf_ring_add(g_buf_ring, buffer, RECV_BUFFER_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(RECV_BUFFER_COUNT), (int)g_buffers_to_return++);
    if (!c->closing) {
      c->unsent += (uint64_t)requests * RESPONSE_LEN;
      maybe_send(fd, c);
      if (!open) { /* answer what came before, then close: stop the recv, keep what is owed */
        c->closing = true;
        if (c->recv_armed) shutdown(fd, SHUT_RD);
      }
    }
  } else if (cqe->res == 0) {
    c->closing = true; /* the peer finished sending; answer what it asked, then close */
  } else if (cqe->res != -ENOBUFS) {
    fail_conn(fd, c); /* ENOBUFS only means the buffer ring ran dry: just re-arm below */
  }
  if (!c->recv_armed && !c->closing) arm_recv(fd, c);
  maybe_close(fd, c);
}

static void on_send(int fd, const struct io_uring_cqe* cqe) {
  struct conn* c = conn_for(fd);
  c->send_inflight = false;
  if (cqe->res > 0) {
    c->unsent -= (uint64_t)cqe->res;
    c->phase = (uint32_t)((c->phase + (uint64_t)cqe->res) % RESPONSE_LEN);
    maybe_send(fd, c); /* a short send or more requests arrived meanwhile */
  } else if (cqe->res != -EINTR && cqe->res != -EAGAIN) {
    fail_conn(fd, c);
  } else {
    maybe_send(fd, c);
  }
  maybe_close(fd, c);
}

static void setup_ring(void) {
  /* The same ladder as weft's loop: the fastest mode this kernel accepts. */
  static const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int result = -EINVAL;
  for (size_t i = 0; i < sizeof attempts / sizeof attempts[0] && result == -EINVAL; ++i) {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    /* Multishot operations produce more completions than submissions: a larger CQ. */
    params.flags = attempts[i] | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    params.cq_entries = RING_ENTRIES * 4;
    result = io_uring_queue_init_params(RING_ENTRIES, &g_ring, &params);
  }
  if (result < 0) die("io_uring_queue_init_params", -result);

  /* liburing 2.3 has no io_uring_setup_buf_ring: map and register the ring by hand. */
  size_t ring_bytes = RECV_BUFFER_COUNT * sizeof(struct io_uring_buf);
  void* ring_memory =
      mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (ring_memory == MAP_FAILED) die("mmap", errno);
  struct io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (unsigned long)(uintptr_t)ring_memory;
  reg.ring_entries = RECV_BUFFER_COUNT;
  reg.bgid = BUFFER_GROUP;
  result = io_uring_register_buf_ring(&g_ring, &reg, 0);
  if (result < 0) die("io_uring_register_buf_ring", -result);
  g_buf_ring = ring_memory;
  io_uring_buf_ring_init(g_buf_ring);

  g_recv_buffers = malloc((size_t)RECV_BUFFER_COUNT * RECV_BUFFER_SIZE);
  if (g_recv_buffers == NULL) die("malloc", ENOMEM);
  for (unsigned bid = 0; bid < RECV_BUFFER_COUNT; ++bid)
    io_uring_buf_ring_add(g_buf_ring, g_recv_buffers + (size_t)bid * RECV_BUFFER_SIZE,
                          RECV_BUFFER_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(RECV_BUFFER_COUNT), (int)bid);
  io_uring_buf_ring_advance(g_buf_ring, RECV_BUFFER_COUNT);
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) die("bind", errno);
  if (listen(fd, SOMAXCONN) < 0) die("listen", errno);
  return fd;
}

int main(int argc, char** argv) {
  g_count_only = argc == 3 && strcmp(argv[2], "--count-only") == 0;
  if ((argc != 2 && !g_count_only) || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535) {
    fprintf(stderr, "usage: %s PORT [--count-only]\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  for (size_t i = 0; i < RESPONSE_COPIES; ++i)
    memcpy(g_responses + i * RESPONSE_LEN, kResponse, RESPONSE_LEN);

  int listen_fd = listen_on(atoi(argv[1]));
  setup_ring();
  arm_accept(listen_fd);

  for (;;) {
    int result = io_uring_submit_and_wait(&g_ring, 1);
    if (result < 0 && result != -EINTR && result != -EAGAIN && result != -EBUSY)
      die("io_uring_submit_and_wait", -result);
    unsigned head;
    unsigned seen = 0;
    struct io_uring_cqe* cqe;
    io_uring_for_each_cqe(&g_ring, head, cqe) {
      ++seen;
      uint64_t data = io_uring_cqe_get_data64(cqe);
      int fd = (int)(uint32_t)data;
      switch ((enum op)(data >> 32)) {
        case OP_ACCEPT:
          on_accept(fd, cqe);
          break;
        case OP_RECV:
          on_recv(fd, cqe);
          break;
        case OP_SEND:
          on_send(fd, cqe);
          break;
      }
    }
    io_uring_cq_advance(&g_ring, seen);
    if (g_buffers_to_return != 0) {
      io_uring_buf_ring_advance(g_buf_ring, (int)g_buffers_to_return);
      g_buffers_to_return = 0;
    }
  }
}

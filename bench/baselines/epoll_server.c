/* bench/baselines/epoll_server.c — the readiness (epoll) baseline for the HTTP plaintext benchmark.
 *
 * A one-thread HTTP/1.1 server on level-triggered epoll with non-blocking sockets, the classic
 * design of nginx-style event loops stripped to this workload:
 *   - the listening socket is drained with accept4(SOCK_NONBLOCK) until EAGAIN;
 *   - a readable connection is read until it is drained (EAGAIN, or a read shorter than the buffer,
 *     which on a stream socket means the receive queue was empty; level-triggered epoll reports
 *     it again should more have arrived meanwhile), all into one shared buffer;
 *   - requests are parsed as examples/http_server parses them (http_requests.h);
 *   - every request found adds one fixed 78-byte response, and the responses for one read go out
 *     in one write() from a static buffer holding the response repeated; a short write leaves the
 *     remainder owed and arms EPOLLOUT until it has gone, the only time epoll_ctl runs after
 *     accept.
 * Keep-alive and pipelining: the (identical) responses go out in order; a request saying
 * "Connection: close" (or HTTP/1.0) closes the connection once the answers owed have gone.
 * It is a fair baseline because it is the well-tuned, syscall-per-operation design most
 * production servers still use, doing the HTTP work the weft server does.
 * With --count-only it parses nothing and counts "\r\n\r\n" terminators, as it did before
 * (see uring_server.c).
 *
 * usage: epoll_server PORT [--count-only]      (stops on SIGTERM/SIGINT)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_requests.h"

/* The response every server of the benchmark sends: exactly 78 bytes. */
static const char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
#define RESPONSE_LEN (sizeof kResponse - 1)
_Static_assert(RESPONSE_LEN == 78, "the benchmark's response is 78 bytes");

/* The response repeated, so one write covers a whole batch (see uring_server.c). */
#define RESPONSE_COPIES 512
#define MAX_WRITE_BYTES ((RESPONSE_COPIES - 1) * RESPONSE_LEN)
static char g_responses[RESPONSE_COPIES * RESPONSE_LEN];

#define READ_BUFFER_SIZE 4096
#define MAX_EVENTS 256

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
  uint64_t unsent;             /* response bytes owed to the client and not yet written */
  uint32_t phase;              /* bytes of the current response already written (0..77) */
  uint8_t scan_state;          /* count_requests' carry (--count-only) */
  bool want_write;             /* EPOLLOUT is armed: the socket's send buffer was full */
  bool peer_done; /* the peer shut down its side: close once everything owed is written */
};

static int g_epoll;
static struct conn* g_conns;
static size_t g_conn_capacity;
static char g_read_buffer[READ_BUFFER_SIZE];

static void die(const char* what, int error) {
  fprintf(stderr, "epoll_server: %s: %s\n", what, strerror(error));
  exit(1);
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

static void close_conn(int fd, struct conn* c) {
  close(fd); /* also removes it from the epoll set */
  http_partial_free(&c->partial);
  memset(c, 0, sizeof *c);
}

static void set_interest(int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(g_epoll, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl", errno);
}

/* Writes what is owed until done or the socket is full. Returns false if the connection failed. */
static bool flush(int fd, struct conn* c) {
  while (c->unsent != 0) {
    size_t len = c->unsent < MAX_WRITE_BYTES ? (size_t)c->unsent : MAX_WRITE_BYTES;
    ssize_t written = send(fd, g_responses + c->phase, len, MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return false;
      written = 0;
    }
    c->unsent -= (uint64_t)written;
    c->phase = (uint32_t)((c->phase + (uint64_t)written) % RESPONSE_LEN);
    if ((size_t)written < len) break; /* the send buffer is full: wait for EPOLLOUT */
  }
  bool want_write = c->unsent != 0;
  if (want_write != c->want_write) {
    c->want_write = want_write;
    /* Once the peer is done there is nothing more to read: wait for writability alone. */
    uint32_t events = (c->peer_done ? 0 : EPOLLIN) | (want_write ? EPOLLOUT : 0);
    set_interest(fd, events);
  }
  return true;
}

/* Reads until the socket is drained, finding requests. Returns false on EOF or error, or when a
 * request asked to close (the answers owed still go out). */
static bool read_requests(int fd, struct conn* c) {
  for (;;) {
    ssize_t n = read(fd, g_read_buffer, sizeof g_read_buffer);
    if (n > 0) {
      bool open = true;
      unsigned requests = g_count_only
                              ? count_requests(g_read_buffer, (size_t)n, &c->scan_state)
                              : http_requests_take(&c->partial, g_read_buffer, (size_t)n, &open);
      c->unsent += (uint64_t)requests * RESPONSE_LEN;
      if (!open) return false;
      if ((size_t)n < sizeof g_read_buffer) return true; /* short read: the queue is empty */
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return true;
    c->unsent = 0; /* reset or other failure: nothing more will be delivered */
    return false;
  }
}

static void on_connection_event(int fd, uint32_t events) {
  struct conn* c = conn_for(fd);
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    if (!c->peer_done && !read_requests(fd, c)) {
      c->peer_done = true;
      if (c->unsent == 0) {
        close_conn(fd, c);
        return;
      }
      c->want_write = false; /* force flush() to re-register interest without EPOLLIN */
    }
  }
  /* The responses for this read go out in one write (or continue an earlier short write). */
  if (!flush(fd, c) || (c->peer_done && c->unsent == 0)) close_conn(fd, c);
}

static void accept_all(int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) fprintf(stderr, "epoll_server: accept4: %s\n", strerror(errno));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    memset(conn_for(fd), 0, sizeof(struct conn));
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(g_epoll, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl", errno);
  }
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  if (g_epoll < 0) die("epoll_create1", errno);
  struct epoll_event listen_ev = {.events = EPOLLIN, .data.fd = listen_fd};
  if (epoll_ctl(g_epoll, EPOLL_CTL_ADD, listen_fd, &listen_ev) < 0) die("epoll_ctl", errno);

  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(g_epoll, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait", errno);
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == listen_fd)
        accept_all(listen_fd);
      else
        on_connection_event(events[i].data.fd, events[i].events);
    }
  }
}

/* bench/baselines/http_requests.h — request framing for the baseline servers of the HTTP benchmark.
 *
 * The benchmark compares servers doing the same work, so the baselines find their requests the way
 * examples/http_server does: the same parse (parse_head and parse_requests there), written again in
 * C — the request line checked, each header line split at its colon, Connection and
 * Content-Length read, a body skipped, a request split across two reads kept until its end has
 * come. The line search is the same SWAR loop (eight bytes at a time).
 *
 * One difference, on a path the benchmark never takes: where the example answers an unparseable
 * request (or a head over 8 KiB) with a 400 (431), the baselines answer the requests before it and
 * then close the connection without a word.
 *
 * http_requests_take() returns the complete requests found; what follows them is kept in the
 * connection's `struct http_partial` until more arrives. It is C11 and C++ (asio_server.cpp).
 */
#ifndef WEFT_BENCH_HTTP_REQUESTS_H
#define WEFT_BENCH_HTTP_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The start of a request whose end has not arrived yet (heap; empty for most connections). */
struct http_partial {
  char* bytes;
  size_t size;
  size_t capacity;
};

/* A request head larger than this closes the connection (the example answers 431). */
#define HTTP_MAX_HEAD 8192

enum http_head_status { HTTP_HEAD_COMPLETE, HTTP_HEAD_INCOMPLETE, HTTP_HEAD_MALFORMED };

/* The first `c` in [p, p+n) at or after `from`, or n: eight bytes at a time (the example's
 * find_from: a byte of word ^ pattern is zero where the word holds c). */
static inline size_t http_find_from(const char* p, size_t n, size_t from, char c) {
  const uint64_t ones = 0x0101010101010101ull;
  const uint64_t highs = 0x8080808080808080ull;
  const uint64_t pattern = ones * (unsigned char)c;
  size_t i = from;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    memcpy(&word, p + i, 8);
    uint64_t x = word ^ pattern;
    uint64_t zero = (x - ones) & ~x & highs;
    if (zero != 0) return i + (size_t)__builtin_ctzll(zero) / 8;
  }
  for (; i < n; ++i)
    if (p[i] == c) return i;
  return n;
}

/* The first `c` in a short [p, p+n), or n (the example's find_near). */
static inline size_t http_find_near(const char* p, size_t n, char c) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] == c) return i;
  return n;
}

static inline char http_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive equality of [p, p+n) with the lower-case `word`. */
static inline bool http_iequals(const char* p, size_t n, const char* word) {
  size_t size = strlen(word);
  if (n != size) return false;
  for (size_t i = 0; i < n; ++i)
    if (http_lower(p[i]) != word[i]) return false;
  return true;
}

/* What a request head says that matters here. */
struct http_head {
  bool keep_alive;
  size_t content_length;
  size_t size; /* bytes of the head, its empty line included */
};

/* Parses the request head at the front of [data, data+n): "METHOD TARGET VERSION", then
 * "Name: value" lines, then an empty line, each ended by CRLF or a bare LF. */
static inline enum http_head_status http_parse_head(const char* data, size_t n,
                                                    struct http_head* out) {
  bool request_line = true;
  size_t pos = 0;
  out->keep_alive = true;
  out->content_length = 0;
  for (;;) {
    size_t end = http_find_from(data, n, pos, '\n');
    if (end == n) return HTTP_HEAD_INCOMPLETE;
    const char* line = data + pos;
    size_t size = end - pos;
    if (size != 0 && line[size - 1] == '\r') --size;
    pos = end + 1;
    if (request_line) {
      size_t first_space = http_find_near(line, size, ' ');
      /* The version is "HTTP/x.y", eight characters: look there before searching. */
      size_t second_space = size;
      if (size > 8 && line[size - 9] == ' ') {
        second_space = size - 9;
      } else {
        for (size_t i = size; i-- > 0;)
          if (line[i] == ' ') {
            second_space = i;
            break;
          }
      }
      if (first_space == size || second_space == first_space) return HTTP_HEAD_MALFORMED;
      out->keep_alive =
          size - second_space - 1 == 8 && memcmp(line + second_space + 1, "HTTP/1.1", 8) == 0;
      request_line = false;
      continue;
    }
    if (size == 0) {
      out->size = pos;
      return HTTP_HEAD_COMPLETE;
    }
    size_t colon = http_find_near(line, size, ':');
    if (colon == size) return HTTP_HEAD_MALFORMED;
    const char* value = line + colon + 1;
    size_t value_size = size - colon - 1;
    while (value_size != 0 && (value[0] == ' ' || value[0] == '\t')) {
      ++value;
      --value_size;
    }
    while (value_size != 0 && (value[value_size - 1] == ' ' || value[value_size - 1] == '\t'))
      --value_size;
    if (http_iequals(line, colon, "connection")) {
      out->keep_alive = http_iequals(value, value_size, "keep-alive") ||
                        (out->keep_alive && !http_iequals(value, value_size, "close"));
    } else if (http_iequals(line, colon, "content-length")) {
      if (value_size == 0) return HTTP_HEAD_MALFORMED;
      size_t length = 0;
      for (size_t i = 0; i < value_size; ++i) {
        unsigned digit = (unsigned)(value[i] - '0');
        if (digit > 9 || length > (SIZE_MAX - digit) / 10) return HTTP_HEAD_MALFORMED;
        length = length * 10 + digit;
      }
      out->content_length = length;
    }
  }
}

/* The complete requests at the front of [data, data+n), counted; *consumed is the bytes they
 * took. *open is cleared when a request asks to close or cannot be parsed (the example's
 * parse_requests). */
static inline unsigned http_parse_requests(const char* data, size_t n, size_t* consumed,
                                           bool* open) {
  unsigned requests = 0;
  size_t used = 0;
  while (*open) {
    struct http_head head;
    enum http_head_status status = http_parse_head(data + used, n - used, &head);
    if (status == HTTP_HEAD_INCOMPLETE) break;
    if (status == HTTP_HEAD_MALFORMED) {
      *open = false;
      break;
    }
    /* Bodies are read and ignored; wait for the rest of one that has not fully arrived. */
    if (head.content_length > n - used - head.size) break;
    used += head.size + head.content_length;
    ++requests;
    *open = head.keep_alive;
  }
  *consumed = used;
  return requests;
}

/* Appends [p, p+n) to `partial`; false when out of memory. */
static inline bool http_partial_append(struct http_partial* partial, const char* p, size_t n) {
  if (partial->size + n > partial->capacity) {
    size_t capacity = partial->capacity != 0 ? partial->capacity : 256;
    while (capacity < partial->size + n)
      capacity *= 2;
    char* grown = (char*)realloc(partial->bytes, capacity);
    if (grown == NULL) return false;
    partial->bytes = grown;
    partial->capacity = capacity;
  }
  memcpy(partial->bytes + partial->size, p, n);
  partial->size += n;
  return true;
}

static inline void http_partial_free(struct http_partial* partial) {
  free(partial->bytes);
  partial->bytes = NULL;
  partial->size = partial->capacity = 0;
}

/* Takes what arrived on a connection, [p, p+n): returns the requests it completed, keeping an
 * unfinished one in `partial`. *open is cleared when the connection must close once their answers
 * have gone (a request asked to, or could not be parsed, or a head outgrew HTTP_MAX_HEAD). */
static inline unsigned http_requests_take(struct http_partial* partial, const char* p, size_t n,
                                          bool* open) {
  const char* data = p;
  size_t size = n;
  if (partial->size != 0) {
    if (!http_partial_append(partial, p, n)) {
      *open = false;
      return 0;
    }
    data = partial->bytes;
    size = partial->size;
  }
  size_t consumed = 0;
  unsigned requests = http_parse_requests(data, size, &consumed, open);
  if (consumed == size) {
    partial->size = 0; /* the common case: everything that arrived was a whole request */
  } else if (*open) {
    size_t rest = size - consumed;
    if (rest > HTTP_MAX_HEAD) {
      *open = false;
    } else if (data == partial->bytes) {
      memmove(partial->bytes, partial->bytes + consumed, rest);
      partial->size = rest;
    } else if (!http_partial_append(partial, data + consumed, rest)) {
      *open = false;
    }
  }
  return requests;
}

#endif

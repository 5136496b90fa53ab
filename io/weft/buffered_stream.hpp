// weft/buffered_stream.hpp — lines, delimited records and coalesced writes over any byte stream.
//
// `weft::buffered_stream<S>` wraps a stream from byte_stream.hpp (stream_socket, pipe_reader,
// pipe_writer, a file, another buffered_stream, your own type) and is itself a byte stream.
//
// Ownership: buffered_stream<S> owns its stream — it is moved in, reached with next_layer(), and
//   destroyed with the buffered_stream — so the buffer can never outlive the stream or dangle.
//   buffered_stream<S&> borrows a stream instead: the caller keeps it alive, and must not read from
//   it directly while bytes it has not seen sit in the read buffer.
// Buffers: a read buffer and a write buffer, each of a fixed size given at construction (default
//   64 KiB) and allocated on first use, so an idle stream, or the unused direction of a one-way
//   stream, costs no buffer memory. The read buffer is also the bound on one delimited record: a
//   line that does not fit is refused with io_errc::line_too_long, never a reason to grow. Room is
//   made by moving the unread bytes to the front (memmove), never by reallocating.
// Fast path: an operation the buffers can serve on their own (the line is already buffered, the
//   data fits in the write buffer) completes inside `co_await` without suspending, without a
//   coroutine frame and without allocating. Only an operation that must reach the stream starts a
//   coroutine: one per read or write of the stream, not one per line.
// Threading: a loop thread, like the stream under it. Reading and writing are independent — one
//   coroutine may read while another writes (full duplex) — but two reads at once, or two writes
//   at once, abort with a message (they would interleave bytes).
// Shutdown: nothing is written behind the caller's back, and a destructor cannot co_await: bytes
//   still in the write buffer when the buffered_stream is destroyed are dropped. `co_await
//   flush()` first (debug builds log a warning naming the stream and how many bytes were lost;
//   discard_unflushed() says that dropping them is intended).
//
// Most operations return a light awaitable (not a task), meant to be awaited where it is made. To
// give one a deadline or run it in when_all, make it a task:
//   `co_await weft::timeout(s.read_line().as_task(), 30s)`
// (fill() and read_exact(count) are tasks already).
#pragma once

#include <weft/byte_stream.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/io_error.hpp>
#include <weft/log.hpp>
#include <weft/task.hpp>

#include <algorithm>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace weft {

struct buffered_stream_options {
  /// The read buffer's size, which is also the longest record read_until and read_line accept —
  /// the delimiter included: with 1024, a line of 1023 characters plus "\n" is read, one of 1024
  /// characters is refused.
  std::size_t read_buffer_size = 64 * 1024;
  /// The write buffer's size: writes are gathered here until it is full or flush() is awaited.
  /// A write at least this large bypasses the buffer (after flushing what it holds).
  std::size_t write_buffer_size = 64 * 1024;
};

namespace detail {

/// The awaitable of a buffered_stream operation. In await_ready, `try_now()` completes the
/// operation from the buffers if it can (yielding an engaged optional, or true for void); otherwise
/// await_suspend starts the task `start()` makes, which does the I/O.
template <class T, class TryNow, class Start>
class [[nodiscard("a buffered_stream operation does nothing until it is co_awaited")]] buffered_op {
  using ready_type = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;

 public:
  buffered_op(TryNow try_now, Start start)
      : try_now_(std::move(try_now)), start_(std::move(start)) {}

  bool await_ready() {
    if constexpr (std::is_void_v<T>) {
      ready_ = try_now_();
      return ready_;
    } else {
      ready_ = try_now_();
      return ready_.has_value();
    }
  }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> waiting) {
    slow_.emplace(start_().operator co_await());
    return slow_->await_suspend(waiting);
  }
  T await_resume() {
    if constexpr (std::is_void_v<T>) {
      if (slow_) slow_->await_resume();
    } else {
      if (slow_) return slow_->await_resume();
      return std::move(*ready_);
    }
  }

  /// The same operation as a task, for timeout(), when_all() and task_scope. The task allocates a
  /// coroutine frame even when the buffers could serve it at once.
  [[nodiscard]] task<T> as_task()&& {
    return await_self(std::move(*this));
  }

 private:
  static task<T> await_self(buffered_op op) {
    co_return co_await op;
  }

  TryNow try_now_;
  Start start_;
  ready_type ready_{};
  std::optional<typename task<T>::awaiter> slow_;
};

template <class T, class TryNow, class Start>
buffered_op<T, TryNow, Start> make_buffered_op(TryNow try_now, Start start) {
  return {std::move(try_now), std::move(start)};
}

/// `delimiter` as a C-like string literal for error messages: "\r\n" → "\"\\r\\n\"".
inline std::string quote_delimiter(std::string_view delimiter) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : delimiter) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default: {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) {
          out += "\\x";
          out += hex[byte >> 4];
          out += hex[byte & 0xf];
        } else {
          out += c;
        }
      }
    }
  }
  out += '"';
  return out;
}

/// Marks one side (read or write) of a buffered_stream busy while a coroutine works on it.
class busy_side {
 public:
  explicit busy_side(bool& flag) noexcept : flag_(flag) { flag_ = true; }
  ~busy_side() { flag_ = false; }
  busy_side(const busy_side&) = delete;
  busy_side& operator=(const busy_side&) = delete;

 private:
  bool& flag_;
};

}  // namespace detail

/// A read buffer and a write buffer in front of a byte stream (see the top of this file).
///
/// Each operation below is awaited with `co_await` and documents:
///   Yields: what it produces.
///   Resumes on: at once, without suspending, when the buffers serve it; otherwise on the loop
///     thread after the stream's read or write completes.
///   Cancellation: as the stream's read_some/write_some (ASYNC_CANCEL; operation_cancelled). The
///     read side is cancel-safe: bytes that arrived before the cancel stay in the read buffer, so a
///     cancelled read_line or read_until can simply be retried. A cancelled flush keeps the bytes
///     it did not send buffered. After a cancelled write or read_exact, how much of the caller's
///     span was transferred is unknown: the stream is then fit only for closing. An operation the
///     buffers serve at once completes even when a stop has been requested (it never suspends).
///
/// Read results that are views (read_until, peek) point into the read buffer and stay valid until
/// the next read operation, consume(), or the buffered_stream's move or destruction.
template <class Stream>
requires readable_stream<Stream> || writable_stream<Stream>
class buffered_stream {
  using stream_type = std::remove_reference_t<Stream>;

 public:
  /// Wraps `stream` (moved in for an owning buffered_stream<S>, referred to for
  /// buffered_stream<S&>). Throws std::invalid_argument for a buffer size of 0.
  explicit buffered_stream(Stream stream, buffered_stream_options options = {})
      : stream_(std::forward<Stream>(stream)),
        read_capacity_(options.read_buffer_size),
        write_capacity_(options.write_buffer_size) {
    if (read_capacity_ == 0 || write_capacity_ == 0)
      throw std::invalid_argument("weft::buffered_stream: a buffer size of 0");
  }

  /// Takes over `other`'s stream and buffered bytes. Neither may have an operation in progress.
  buffered_stream(buffered_stream&& other) noexcept(
      std::is_nothrow_constructible_v<Stream, Stream&&>)
      : stream_(std::forward<Stream>(other.stream_)),
        read_buffer_(std::move(other.read_buffer_)),
        read_capacity_(other.read_capacity_),
        read_begin_(std::exchange(other.read_begin_, 0)),
        read_end_(std::exchange(other.read_end_, 0)),
        write_buffer_(std::move(other.write_buffer_)),
        write_capacity_(other.write_capacity_),
        write_begin_(std::exchange(other.write_begin_, 0)),
        write_end_(std::exchange(other.write_end_, 0)) {
    WEFT_CHECK(!other.reading_ && !other.writing_,
               "buffered_stream moved while an operation on it is in progress");
  }
  buffered_stream& operator=(buffered_stream&& other) noexcept(
      std::is_nothrow_move_assignable_v<Stream>) requires(!std::is_reference_v<Stream>) {
    WEFT_CHECK(!reading_ && !writing_ && !other.reading_ && !other.writing_,
               "buffered_stream moved while an operation on it is in progress");
    if (this != &other) {
      warn_if_unflushed();
      stream_ = std::move(other.stream_);
      read_buffer_ = std::move(other.read_buffer_);
      read_capacity_ = other.read_capacity_;
      read_begin_ = std::exchange(other.read_begin_, 0);
      read_end_ = std::exchange(other.read_end_, 0);
      write_buffer_ = std::move(other.write_buffer_);
      write_capacity_ = other.write_capacity_;
      write_begin_ = std::exchange(other.write_begin_, 0);
      write_end_ = std::exchange(other.write_end_, 0);
    }
    return *this;
  }
  buffered_stream(const buffered_stream&) = delete;
  buffered_stream& operator=(const buffered_stream&) = delete;

  /// Drops unflushed bytes (see the top of this file); aborts if an operation is in progress.
  ~buffered_stream() {
    WEFT_CHECK(!reading_ && !writing_,
               "buffered_stream destroyed while an operation on it is in progress");
    warn_if_unflushed();
  }

  /// The stream underneath. Reading from it directly skips the bytes already buffered; writing to
  /// it directly overtakes the unflushed ones.
  [[nodiscard]] stream_type& next_layer() noexcept { return stream_; }
  [[nodiscard]] const stream_type& next_layer() const noexcept { return stream_; }

  /// "<operation> <the stream's target>", from the stream's own describe() when it has one.
  [[nodiscard]] std::string describe(std::string_view operation) const {
    if constexpr (requires(const stream_type& s) {
                    { s.describe(std::string_view{}) } -> std::convertible_to<std::string>;
                  })
      return stream_.describe(operation);
    else
      return std::string(operation) + " stream";
  }

  // ---------------------------------------------------------------------------------------------
  // Reading (streams with read_some)

  /// `co_await s.read_until(delimiter)` — a char or a non-empty string such as "\r\n\r\n".
  ///   Yields: std::optional<std::string_view>: the bytes up to and including the first occurrence
  ///     of `delimiter`, viewed in the read buffer (valid until the next read operation); they are
  ///     consumed. std::nullopt when the stream ends cleanly, with nothing buffered — for a server,
  ///     the client closing between requests.
  ///   Throws: std::system_error with io_errc::line_too_long when read_limit() bytes are buffered
  ///     without a delimiter (those bytes stay buffered); io_errc::unexpected_eof when the stream
  ///     ends after some bytes but before a delimiter; the stream's own errors.
  ///   Resumes on / Cancellation: see the class comment (cancel-safe).
  /// The delimiter is copied: it need not outlive the call.
  [[nodiscard]] auto read_until(std::string_view delimiter) requires readable_stream<Stream> {
    if (delimiter.empty()) throw std::invalid_argument("weft::buffered_stream: empty delimiter");
    return detail::make_buffered_op<std::optional<std::string_view>>(
        [this,
         delimiter = std::string(delimiter)]() -> std::optional<std::optional<std::string_view>> {
          check_not_reading();
          std::size_t length = find_record(delimiter, 0);
          if (length == 0) return std::nullopt;
          return std::optional<std::string_view>{take(length)};
        },
        [this, delimiter = std::string(delimiter)]() {
          return read_delimited(delimiter, false, "read_until from");
        });
  }
  [[nodiscard]] auto read_until(char delimiter) requires readable_stream<Stream> {
    return read_until(std::string_view(&delimiter, 1));
  }

  /// `co_await s.read_line()`
  ///   Yields: std::optional<std::string>: the next line without its "\n" or "\r\n" (a lone "\r"
  ///     elsewhere is kept). When the stream ends after a last line that has no "\n", that line is
  ///     returned as it is; after that (or at once, if nothing is left) std::nullopt.
  ///   Throws: io_errc::line_too_long when read_limit() bytes arrive without a "\n" (the bound
  ///     counts the "\n"); the stream's own errors.
  ///   Resumes on / Cancellation: see the class comment (cancel-safe).
  /// The returned string is the only allocation. To parse without copying, use read_until('\n').
  [[nodiscard]] auto read_line() requires readable_stream<Stream> {
    return detail::make_buffered_op<std::optional<std::string>>(
        [this]() -> std::optional<std::optional<std::string>> {
          check_not_reading();
          std::size_t length = find_record("\n", 0);
          if (length == 0) return std::nullopt;
          return std::optional<std::string>{to_line(take(length))};
        },
        [this] { return read_line_slow(); });
  }

  /// `co_await s.read_some(buffer)`
  ///   Yields: std::size_t, at least 1 byte (0 only at end of stream, or for an empty buffer):
  ///     buffered bytes first; with none buffered, one read of the stream — straight into
  ///     `buffer` when it is at least read_limit() bytes, else through the read buffer.
  ///   Resumes on / Cancellation: see the class comment.
  [[nodiscard]] auto read_some(std::span<std::byte> buffer) requires readable_stream<Stream> {
    return detail::make_buffered_op<std::size_t>(
        [this, buffer]() -> std::optional<std::size_t> {
          check_not_reading();
          if (buffer.empty()) return std::size_t{0};
          if (available() == 0) return std::nullopt;
          return copy_out(buffer);
        },
        [this, buffer] { return read_some_slow(buffer); });
  }

  /// `co_await s.read_exact(buffer)`
  ///   Yields: nothing, once `buffer` is full (buffered bytes first). Bytes that arrive beyond it
  ///     stay buffered.
  ///   Throws: io_errc::unexpected_eof ("read_exact from <stream>: 3 of 10 bytes arrived") when the
  ///     stream ends first; the stream's own errors.
  ///   Resumes on / Cancellation: see the class comment.
  [[nodiscard]] auto read_exact(std::span<std::byte> buffer) requires readable_stream<Stream> {
    return detail::make_buffered_op<void>(
        [this, buffer] {
          check_not_reading();
          if (available() < buffer.size()) return false;
          copy_out(buffer);
          return true;
        },
        [this, buffer] { return read_exact_slow(buffer); });
  }
  /// `co_await s.read_exact(count)`: as above, into a new std::string of `count` bytes.
  [[nodiscard]] task<std::string> read_exact(std::size_t count) requires readable_stream<Stream> {
    std::string out(count, '\0');
    co_await read_exact(std::as_writable_bytes(std::span{out.data(), out.size()}));
    co_return out;
  }

  /// `co_await s.fill()`: one read of the stream into the free room of the read buffer, for
  /// parsers that work on peek() and consume().
  ///   Yields: std::size_t, the number of bytes added (0 at end of stream).
  ///   Throws: io_errc::line_too_long when the buffer is already full of unconsumed bytes.
  ///   Resumes on: the loop thread. Cancellation: see the class comment.
  [[nodiscard]] task<std::size_t> fill() requires readable_stream<Stream> {
    check_not_reading();
    detail::busy_side busy{reading_};
    ensure_read_buffer();
    if (available() == read_capacity_)
      throw_io_error(io_errc::line_too_long, describe("fill from") + ": the read buffer is full (" +
                                                 std::to_string(read_capacity_) +
                                                 " unconsumed bytes)");
    std::size_t got = co_await fill_once();
    read_end_ += got;
    co_return got;
  }

  /// The buffered, unconsumed bytes (no I/O); valid until the next read operation or consume().
  [[nodiscard]] std::span<const std::byte> peek() const noexcept {
    if (!read_buffer_) return {};
    return {read_buffer_.get() + read_begin_, read_end_ - read_begin_};
  }
  /// Marks the first `count` buffered bytes as read; aborts if fewer are buffered.
  void consume(std::size_t count) {
    check_not_reading();
    WEFT_CHECK(count <= available(), "buffered_stream::consume({}) with only {} bytes buffered",
               count, available());
    read_begin_ += count;
  }
  /// How many bytes are buffered for reading.
  [[nodiscard]] std::size_t available() const noexcept { return read_end_ - read_begin_; }
  /// The read buffer's size: the longest record read_until and read_line accept.
  [[nodiscard]] std::size_t read_limit() const noexcept { return read_capacity_; }

  // ---------------------------------------------------------------------------------------------
  // Writing (streams with write_some)

  /// `co_await s.write(data)`
  ///   Yields: nothing, once all of `data` has been copied into the write buffer or written to the
  ///     stream. Nothing is sent before the buffer fills: call flush() when the peer should see it.
  ///     When `data` does not fit, the buffer is flushed first; data of write_buffer_size or more
  ///     is then written straight from `data`, without copying.
  ///   Throws: the stream's errors (e.g. EPIPE).
  ///   Resumes on / Cancellation: see the class comment.
  /// `data` must stay alive until the co_await finishes.
  [[nodiscard]] auto write(std::span<const std::byte> data) requires writable_stream<Stream> {
    return detail::make_buffered_op<void>(
        [this, data] {
          check_not_writing();
          if (data.empty()) return true;
          if (data.size() >= write_capacity_ || data.size() > write_capacity_ - write_end_)
            return false;
          ensure_write_buffer();
          std::memcpy(write_buffer_.get() + write_end_, data.data(), data.size());
          write_end_ += data.size();
          return true;
        },
        [this, data] { return write_slow(data); });
  }
  [[nodiscard]] auto write(std::string_view text) requires writable_stream<Stream> {
    return write(std::as_bytes(std::span{text.data(), text.size()}));
  }
  /// The same as write(): every byte is taken, in order (the name generic stream code uses).
  [[nodiscard]] auto write_all(std::span<const std::byte> data) requires writable_stream<Stream> {
    return write(data);
  }
  [[nodiscard]] auto write_all(std::string_view text) requires writable_stream<Stream> {
    return write(text);
  }

  /// `co_await s.write_some(data)`
  ///   Yields: std::size_t >= 1 (0 for empty data): how many bytes of `data` were taken — copied
  ///     into the buffer's free room, after flushing a full buffer; or, when the buffer is empty
  ///     and `data` is at least write_buffer_size bytes, written to the stream directly.
  ///   Resumes on / Cancellation: see the class comment.
  [[nodiscard]] auto write_some(std::span<const std::byte> data) requires writable_stream<Stream> {
    return detail::make_buffered_op<std::size_t>(
        [this, data]() -> std::optional<std::size_t> {
          check_not_writing();
          if (data.empty()) return std::size_t{0};
          std::size_t room = write_capacity_ - write_end_;
          if (room == 0 || (unflushed() == 0 && data.size() >= write_capacity_))
            return std::nullopt;
          return copy_in(data);
        },
        [this, data] { return write_some_slow(data); });
  }

  /// `co_await s.flush()`
  ///   Yields: nothing, once every buffered byte has been accepted by the stream, in order.
  ///   Throws: the stream's errors; what was not sent stays buffered.
  ///   Resumes on / Cancellation: see the class comment (the unsent bytes stay buffered).
  [[nodiscard]] auto flush() requires writable_stream<Stream> {
    return detail::make_buffered_op<void>(
        [this] {
          check_not_writing();
          return unflushed() == 0;
        },
        [this] { return flush_slow(); });
  }

  /// How many bytes wait in the write buffer.
  [[nodiscard]] std::size_t unflushed() const noexcept { return write_end_ - write_begin_; }
  /// Empties the write buffer without sending it; returns how many bytes were dropped.
  std::size_t discard_unflushed() noexcept {
    std::size_t dropped = unflushed();
    write_begin_ = write_end_ = 0;
    return dropped;
  }

 private:
  // ---- reading ----

  void check_not_reading() const {
    WEFT_CHECK(!reading_, "two reads at once on a buffered_stream ({}): one reader at a time",
               describe("reading from"));
  }
  void ensure_read_buffer() {
    if (!read_buffer_) read_buffer_ = std::make_unique_for_overwrite<std::byte[]>(read_capacity_);
  }

  /// The length of the first record ending in `delimiter`, looking from `from` bytes into the
  /// buffered ones; 0 if there is none yet.
  [[nodiscard]] std::size_t find_record(std::string_view delimiter, std::size_t from) const {
    if (available() == 0) return 0;
    std::string_view data{reinterpret_cast<const char*>(read_buffer_.get()) + read_begin_,
                          available()};
    std::size_t at = data.find(delimiter, from);
    return at == std::string_view::npos ? 0 : at + delimiter.size();
  }
  /// Consumes `length` buffered bytes and returns them as a view into the buffer.
  std::string_view take(std::size_t length) noexcept {
    const char* start = reinterpret_cast<const char*>(read_buffer_.get()) + read_begin_;
    read_begin_ += length;
    return {start, length};
  }
  static std::string to_line(std::string_view record) {
    if (!record.empty() && record.back() == '\n') {
      record.remove_suffix(1);
      if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
    }
    return std::string(record);
  }
  std::size_t copy_out(std::span<std::byte> buffer) noexcept {
    std::size_t count = std::min(buffer.size(), available());
    if (count != 0) std::memcpy(buffer.data(), read_buffer_.get() + read_begin_, count);
    read_begin_ += count;
    return count;
  }
  /// Moves the unread bytes to the front and starts one read into the free room behind them.
  /// Precondition: the buffer exists and is not full of unread bytes.
  auto fill_once() {
    if (read_begin_ != 0) {
      std::memmove(read_buffer_.get(), read_buffer_.get() + read_begin_, available());
      read_end_ -= read_begin_;
      read_begin_ = 0;
    }
    return stream_.read_some(
        std::span<std::byte>{read_buffer_.get() + read_end_, read_capacity_ - read_end_});
  }
  [[noreturn]] void throw_too_long(std::string_view operation, std::string_view delimiter) const {
    throw_io_error(io_errc::line_too_long, describe(operation) + ": no " +
                                               detail::quote_delimiter(delimiter) + " within " +
                                               std::to_string(read_capacity_) + " bytes");
  }

  task<std::optional<std::string_view>> read_delimited(std::string delimiter, bool partial_at_eof,
                                                       const char* operation) {
    check_not_reading();
    detail::busy_side busy{reading_};
    ensure_read_buffer();
    std::size_t scanned = 0;  // bytes known not to start a delimiter
    for (;;) {
      std::size_t length = find_record(delimiter, scanned);
      if (length != 0) co_return take(length);
      std::size_t have = available();
      scanned = have >= delimiter.size() ? have - delimiter.size() + 1 : 0;
      if (have == read_capacity_) throw_too_long(operation, delimiter);
      std::size_t got = co_await fill_once();
      read_end_ += got;
      if (got == 0) {
        if (have == 0) co_return std::nullopt;
        if (partial_at_eof) co_return take(have);
        throw_io_error(io_errc::unexpected_eof, describe(operation) + ": the stream ended after " +
                                                    std::to_string(have) + " bytes without " +
                                                    detail::quote_delimiter(delimiter));
      }
    }
  }
  task<std::optional<std::string>> read_line_slow() {
    std::optional<std::string_view> record = co_await read_delimited("\n", true, "read_line from");
    if (!record) co_return std::nullopt;
    co_return to_line(*record);
  }
  task<std::size_t> read_some_slow(std::span<std::byte> buffer) {
    check_not_reading();
    detail::busy_side busy{reading_};
    if (buffer.size() >= read_capacity_) co_return co_await stream_.read_some(buffer);
    ensure_read_buffer();
    std::size_t got = co_await fill_once();
    read_end_ += got;
    co_return copy_out(buffer);
  }
  task<void> read_exact_slow(std::span<std::byte> buffer) {
    check_not_reading();
    detail::busy_side busy{reading_};
    std::size_t filled = copy_out(buffer);
    while (filled < buffer.size()) {
      std::span<std::byte> rest = buffer.subspan(filled);
      std::size_t got = 0;
      if (rest.size() >= read_capacity_) {
        got = co_await stream_.read_some(rest);
      } else {
        ensure_read_buffer();
        std::size_t added = co_await fill_once();
        read_end_ += added;
        got = copy_out(rest);
      }
      if (got == 0)
        throw_io_error(io_errc::unexpected_eof,
                       describe("read_exact from") + ": " + std::to_string(filled) + " of " +
                           std::to_string(buffer.size()) + " bytes arrived");
      filled += got;
    }
  }

  // ---- writing ----

  void check_not_writing() const {
    WEFT_CHECK(!writing_, "two writes at once on a buffered_stream ({}): one writer at a time",
               describe("writing to"));
  }
  void ensure_write_buffer() {
    if (!write_buffer_)
      write_buffer_ = std::make_unique_for_overwrite<std::byte[]>(write_capacity_);
  }
  std::size_t copy_in(std::span<const std::byte> data) {
    ensure_write_buffer();
    std::size_t count = std::min(data.size(), write_capacity_ - write_end_);
    std::memcpy(write_buffer_.get() + write_end_, data.data(), count);
    write_end_ += count;
    return count;
  }
  /// One write of the buffered bytes to the stream.
  auto write_buffered_once() {
    return stream_.write_some(
        std::span<const std::byte>{write_buffer_.get() + write_begin_, unflushed()});
  }
  void warn_if_unflushed() noexcept {
#ifndef NDEBUG
    if constexpr (writable_stream<Stream>) {
      if (unflushed() != 0) {
        try {
          log_warning("buffered_stream dropped {} unflushed bytes ({}): co_await flush() first",
                      unflushed(), describe("writing to"));
        } catch (...) {
          // Nothing to be done about a failure to log from a destructor.
        }
      }
    }
#endif
  }

  task<void> flush_slow() {
    check_not_writing();
    detail::busy_side busy{writing_};
    while (unflushed() != 0) {
      std::size_t written = co_await write_buffered_once();
      write_begin_ += written;
    }
    write_begin_ = write_end_ = 0;
  }
  task<void> write_slow(std::span<const std::byte> data) {
    check_not_writing();
    detail::busy_side busy{writing_};
    while (unflushed() != 0) {
      std::size_t written = co_await write_buffered_once();
      write_begin_ += written;
    }
    write_begin_ = write_end_ = 0;
    if (data.size() >= write_capacity_) {
      while (!data.empty()) {
        std::size_t written = co_await stream_.write_some(data);
        data = data.subspan(written);
      }
    } else {
      copy_in(data);
    }
  }
  task<std::size_t> write_some_slow(std::span<const std::byte> data) {
    check_not_writing();
    detail::busy_side busy{writing_};
    if (unflushed() == 0 && data.size() >= write_capacity_)
      co_return co_await stream_.write_some(data);
    while (unflushed() != 0) {
      std::size_t written = co_await write_buffered_once();
      write_begin_ += written;
    }
    write_begin_ = write_end_ = 0;
    co_return copy_in(data);
  }

  Stream stream_;

  // Read buffer: bytes [read_begin_, read_end_) are buffered and unread; [read_end_, capacity) is
  // free room. Allocated on first use.
  std::unique_ptr<std::byte[]> read_buffer_;
  std::size_t read_capacity_;
  std::size_t read_begin_ = 0;
  std::size_t read_end_ = 0;

  // Write buffer: bytes [write_begin_, write_end_) wait to be written; [0, write_begin_) were
  // written by a flush that did not finish (failed or cancelled). Allocated on first use.
  std::unique_ptr<std::byte[]> write_buffer_;
  std::size_t write_capacity_;
  std::size_t write_begin_ = 0;
  std::size_t write_end_ = 0;

  // True while a coroutine of this stream is reading / writing (set and cleared by busy_side).
  bool reading_ = false;
  bool writing_ = false;
};

}  // namespace weft

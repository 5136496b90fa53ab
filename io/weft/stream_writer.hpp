// weft/stream_writer.hpp — write-behind: hand bytes to a stream and go on while the kernel sends
// them.
//
//   weft::stream_writer out{connection};
//   co_await out.write(answer);        // copied; returns at once while the writer has room
//   co_await out.write_static(hello);  // bytes that never change: not even copied
//   co_await out.flush();              // every byte handed over has been accepted by the kernel
//
// Against write_all: write_all resumes its coroutine when the kernel has taken the bytes, one
// resumption per answer; a server spends a few percent of its CPU there. A writer resumes nobody
// when a send completes: the completion starts the next send itself. The coroutine waits only
// when it must: for room (the writer holds `limit` copied bytes not yet sent: back-pressure) or
// in flush().
//
// Threading model: loop thread only, like the stream. The stream object must outlive the writer
// and stay where it is (the writer keeps its address, to name it in error messages).
//
// Order: at most one send is in flight. Bytes go out in the order they were handed over: the send
// in flight, then the writer's buffer (writes copied while a send was in flight, sent together
// next), then writes waiting for room, first come first served. A waiting write is copied once it
// fits; one larger than `limit` is sent straight from the caller's memory once everything before it
// has gone, and its caller resumes when it has all been sent.
//
// State: one block on the heap per writer, which the kernel's completions point at. A completion
// that leaves nothing to do (the common case) only updates the block; otherwise it queues the
// block as a work item on the loop, which starts the next send and wakes waiters (an SQE must not
// be taken while completions are being reaped).
//
// Errors: a send that fails (EPIPE, ECONNRESET) breaks the writer. Its unsent bytes are dropped,
// waiting writes and flushes throw the error, and so does every later write or flush.
//
// Shutdown: destroying a writer drops the bytes it has not sent (co_await flush() first to keep
// them: a destructor cannot wait) and asks the kernel to cancel the send in flight. That send's
// block, and the bytes it reads, live until its CQE, which the loop's drain waits for.
#pragma once

#include <weft/detail/loop_wait.hpp>
#include <weft/detail/socket_base.hpp>

#include <cerrno>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace weft {

namespace detail {

class write_behind;

/// A coroutine waiting on a writer: for room to write `data`, or (flush) for everything before it
/// to be sent. Lives in the awaiting frame; linked into the writer's FIFO while it waits.
class writer_wait : public loop_wait {
 public:
  enum class kind : unsigned char { write, flush };

  writer_wait(write_behind* writer, kind what, std::span<const std::byte> data) noexcept
      : writer_(writer), data_(data), kind_(what) {}

  /// The writer's side, on the loop thread: the wait is over (0) or cancelled (-ECANCELED).
  void finish(int result) noexcept { complete(result); }
  /// The writer broke: `error` is rethrown by await_resume. A copy, since the writer may be gone
  /// by then (another waiter, resumed first, may have destroyed it).
  void fail(std::exception_ptr error) noexcept {
    error_ = std::move(error);
    complete(-EIO);
  }

  writer_wait* next = nullptr;

 protected:
  template <class Promise>
  bool suspend(std::coroutine_handle<Promise> waiting);
  bool try_write(bool unchanging);  // await_ready of a write: taken at once (or writer broken)
  bool try_flush();                 // await_ready of a flush: nothing unsent (or writer broken)
  void start_waiting();             // joins the writer's FIFO (the writer may serve it at once)
  void resume();

 private:
  friend class write_behind;
  void finish_early() noexcept override;

  write_behind* writer_;
  std::span<const std::byte> data_;
  std::exception_ptr error_;  // the writer's error, once it broke
  kind kind_;
  bool stopped_before_start_ = false;
};

template <class Promise>
bool writer_wait::suspend(std::coroutine_handle<Promise> waiting) {
  io_loop* loop = io_loop::current();
  WEFT_CHECK(loop != nullptr, "a stream_writer was awaited outside a loop thread");
  if (stop_token_of(waiting).stop_requested()) {
    stopped_before_start_ = true;
    return false;
  }
  arm(*loop, waiting);
  start_waiting();
  return true;
}

/// Describes the stream for error messages: "send to 127.0.0.1:80".
using describe_fn = std::string (*)(const void* stream, std::string_view operation);

}  // namespace detail

class stream_writer {
 public:
  static constexpr std::size_t default_limit = 64 * 1024;

  /// A writer for `stream` (a stream_socket, a pipe_writer, anything with native_handle() and
  /// describe()), holding at most `limit` copied unsent bytes (write_static's bytes are not
  /// copied, and a write larger than `limit` is sent from the caller's memory). Sockets are
  /// written with send(2) and MSG_NOSIGNAL (a vanished peer is EPIPE, not SIGPIPE), anything else
  /// with write(2). A moved-from writer aborts on any write or flush.
  template <class Stream>
  requires requires(const Stream& s) {
    { s.native_handle() } -> std::same_as<int>;
    { s.describe(std::string_view{}) } -> std::convertible_to<std::string>;
  }
  explicit stream_writer(const Stream& stream, std::size_t limit = default_limit)
      : stream_writer(stream.native_handle(), std::derived_from<Stream, detail::socket_base>,
                      &stream, &describe<Stream>, limit) {}

  stream_writer(stream_writer&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  stream_writer& operator=(stream_writer&& other) noexcept;
  stream_writer(const stream_writer&) = delete;
  stream_writer& operator=(const stream_writer&) = delete;
  /// Drops unsent bytes and cancels the send in flight (see the header comment).
  ~stream_writer();

  /// The awaitable of write() and write_static().
  ///   Yields: nothing, once the writer has taken the bytes: at once (no suspension) when they fit
  ///     in its room and no earlier write is waiting; else once room was made, or, for a write
  ///     larger than `limit`, once it has been sent.
  ///   Resumes on: the loop thread.
  ///   Throws: the error that broke the writer (a failed send, now or earlier): std::system_error
  ///     "send to <peer>: Broken pipe". std::bad_alloc when there is no memory to copy the bytes:
  ///     the write took nothing and the writer stays usable.
  ///   Cancellation: a write still waiting for room takes nothing and throws operation_cancelled;
  ///     the writer stays usable. A stop requested before the co_await does not stop a write that
  ///     fits at once (it never waits); one that would wait throws operation_cancelled at once. A
  ///     write larger than `limit` that is being sent is cancelled in the kernel (ASYNC_CANCEL); if
  ///     part of it had gone, the stream's contents are incomplete and the writer breaks ("...
  ///     cancelled after N of M bytes").
  class [[nodiscard]] write_awaiter : private detail::writer_wait {
   public:
    write_awaiter(detail::write_behind* writer, std::span<const std::byte> data,
                  bool unchanging) noexcept
        : writer_wait(writer, kind::write, data), unchanging_(unchanging) {}
    bool await_ready() { return try_write(unchanging_); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      return suspend(waiting);
    }
    void await_resume() { resume(); }

   private:
    bool unchanging_;
  };

  /// `co_await out.write(data)`: copies `data` unless it must wait (see write_awaiter); `data`
  /// must stay alive until the co_await finishes, and not longer.
  [[nodiscard]] write_awaiter write(std::span<const std::byte> data) noexcept {
    return write_awaiter{state_, data, false};
  }
  [[nodiscard]] write_awaiter write(std::string_view text) noexcept {
    return write(std::as_bytes(std::span{text.data(), text.size()}));
  }
  /// `co_await out.write_static(data)`: for bytes with static storage, or anything else that
  /// stays alive and unchanged until the loop's run() has returned (string literals, constant
  /// tables): when the writer is idle they are sent from where they are, with no copy, and a
  /// send of them may still be running after the writer is destroyed (until its CQE). Otherwise
  /// as write().
  [[nodiscard]] write_awaiter write_static(std::span<const std::byte> data) noexcept {
    return write_awaiter{state_, data, true};
  }
  [[nodiscard]] write_awaiter write_static(std::string_view text) noexcept {
    return write_static(std::as_bytes(std::span{text.data(), text.size()}));
  }

  /// The awaitable of flush().
  ///   Yields: nothing, once every byte handed over before it has been accepted by the kernel
  ///     (at once when nothing is unsent). Writes that come after a waiting flush wait behind it.
  ///   Resumes on: the loop thread.
  ///   Throws: the error that broke the writer.
  ///   Cancellation: throws operation_cancelled; the unsent bytes stay queued and keep going out.
  ///     A stop requested before the co_await throws at once unless nothing is unsent.
  class [[nodiscard]] flush_awaiter : private detail::writer_wait {
   public:
    explicit flush_awaiter(detail::write_behind* writer) noexcept
        : writer_wait(writer, kind::flush, {}) {}
    bool await_ready() { return try_flush(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      return suspend(waiting);
    }
    void await_resume() { resume(); }
  };
  [[nodiscard]] flush_awaiter flush() noexcept { return flush_awaiter{state_}; }

  /// Bytes handed over and not yet accepted by the kernel.
  [[nodiscard]] std::size_t unsent() const noexcept;
  /// Whether a send failed (every later write or flush throws).
  [[nodiscard]] bool broken() const noexcept;

 private:
  stream_writer(int fd, bool is_socket, const void* stream, detail::describe_fn describe,
                std::size_t limit);

  template <class Stream>
  static std::string describe(const void* stream, std::string_view operation) {
    return static_cast<const Stream*>(stream)->describe(operation);
  }

  detail::write_behind* state_;
};

}  // namespace weft

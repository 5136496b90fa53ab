// weft/byte_stream.hpp — what every byte stream (TCP, Unix stream, pipe end, file) offers.
//
// A byte stream has `read_some(buffer)` and `write_some(data)`, awaitables that transfer at least
// one byte (read_some yields 0 only at end of stream) and throw std::system_error naming the
// stream on failure. From those two, byte_stream_ops adds the loops everyone otherwise writes by
// hand: write_all (short writes) and read_exact (short reads, and end of stream in the middle).
// buffered_stream works over any of them.
#pragma once

#include <weft/detail/promise_base.hpp>
#include <weft/executor.hpp>
#include <weft/io_error.hpp>
#include <weft/task.hpp>

#include <cerrno>
#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace weft {

/// Something to read bytes from: `co_await s.read_some(buffer)` yields a count, 0 at the end.
template <class S>
concept readable_stream = requires(S& stream, std::span<std::byte> buffer) {
  {stream.read_some(buffer)};
};
/// Something to write bytes to: `co_await s.write_some(data)` yields a count >= 1.
template <class S>
concept writable_stream = requires(S& stream, std::span<const std::byte> data) {
  {stream.write_some(data)};
};
template <class S>
concept byte_stream = readable_stream<S> && writable_stream<S>;

/// Mixed into each stream type (CRTP): Derived provides read_some and/or write_some, and
/// `describe(std::string_view operation)` ("recv from 127.0.0.1:80").
/// The most one read or write asks of the kernel (Linux's own cap for read(2)/write(2)); larger
/// buffers are transferred in several steps, never truncated to 32 bits.
inline constexpr std::size_t max_transfer = 0x7ffff000;

namespace detail {

/// A step awaitable whose completion can be handed to a work item (io_op_awaiter: every stream of
/// weft's own), which is what lets write_all/read_exact run without a frame.
template <class Step>
concept item_completing = requires(Step& step, std::coroutine_handle<> h, work_item* item) {
  { step.await_suspend_then(h, item) } -> std::same_as<bool>;
};

/// The steps of write_all (write_some) and read_exact (read_some) on a byte stream: what
/// transfer_all_awaiter repeats, and the error when a step moves nothing.
template <class Stream, bool Writing>
struct stream_steps {
  using bytes = std::conditional_t<Writing, std::span<const std::byte>, std::span<std::byte>>;

  Stream* stream;

  auto step(bytes rest, std::size_t /*done*/) const {
    if constexpr (Writing)
      return stream->write_some(rest);
    else
      return stream->read_some(rest);
  }

  [[noreturn]] void no_progress(std::size_t done, std::size_t total) const {
    if constexpr (Writing)
      throw_errno(EIO, stream->describe("write") + " (the kernel accepted 0 bytes)");
    else
      throw_io_error(io_errc::unexpected_eof, stream->describe("read") + ": " +
                                                  std::to_string(done) + " of " +
                                                  std::to_string(total) + " bytes arrived");
  }
};

template <class Steps>
using step_type_of =
    decltype(std::declval<const Steps&>().step(std::declval<typename Steps::bytes>(), 0));

/// Room for one T that is neither copied nor moved: built in place from a function's result.
template <class T>
class in_place_slot {
 public:
  in_place_slot() = default;
  in_place_slot(const in_place_slot&) = delete;
  in_place_slot& operator=(const in_place_slot&) = delete;
  ~in_place_slot() { reset(); }

  template <class Make>
  void emplace_with(Make make) {
    reset();
    ::new (static_cast<void*>(storage_)) T(make());  // a prvalue: constructed in place
    engaged_ = true;
  }
  void reset() noexcept {
    if (std::exchange(engaged_, false)) get()->~T();
  }
  T* operator->() noexcept { return get(); }

 private:
  T* get() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }

  alignas(T) unsigned char storage_[sizeof(T)];
  bool engaged_ = false;
};

/// write_all / read_exact as one awaiter with no coroutine frame: it starts a step (write_some,
/// read_some, write_at...) for what is left, and each completion runs this object (a work item on
/// the loop) instead of resuming the coroutine, until every byte is moved or a step fails. Only
/// then is the coroutine resumed, directly from that work item (the loop thread is its home).
/// Stop requests reach each step through the awaiting coroutine's token, as they would in a loop
/// of single steps. `Steps` says what a step is (stream_steps above, file_offset_steps).
template <class Steps>
class [[nodiscard]] transfer_all_awaiter : private work_item {
 public:
  using bytes = typename Steps::bytes;

  transfer_all_awaiter(Steps steps, bytes all) noexcept : steps_(steps), all_(all) {
    run = &on_step_done;
  }
  transfer_all_awaiter(const transfer_all_awaiter&) = delete;
  transfer_all_awaiter& operator=(const transfer_all_awaiter&) = delete;

  bool await_ready() const noexcept { return all_.empty(); }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    waiting_ = waiting;
    task_name = task_name_of(waiting);
    start_step_ = &start_step<Promise>;
    return keep_going();
  }

  void await_resume() {
    if (error_) std::rethrow_exception(std::move(error_));
  }

 private:
  // Starts the next step; true when it is in flight, false when it ended at once.
  template <class Promise>
  static bool start_step(transfer_all_awaiter* self) {
    self->step_.emplace_with(
        [self] { return self->steps_.step(self->all_.subspan(self->done_), self->done_); });
    return self->step_->await_suspend_then(
        std::coroutine_handle<Promise>::from_address(self->waiting_.address()), self);
  }

  // Starts steps until one is in flight (true) or the transfer is over (false).
  bool keep_going() {
    while (!start_step_(this))
      if (!take_step()) return false;
    return true;
  }

  // Takes the finished step's result; true when there is more to transfer.
  bool take_step() noexcept {
    try {
      std::size_t moved = step_->await_resume();
      step_.reset();
      if (moved == 0) [[unlikely]]
        steps_.no_progress(done_, all_.size());
      done_ += moved;
    } catch (...) {
      step_.reset();
      error_ = std::current_exception();
      return false;
    }
    return done_ < all_.size();
  }

  // The loop runs this when a step's operation has completed.
  static void on_step_done(work_item* item) noexcept {
    auto* self = static_cast<transfer_all_awaiter*>(item);
    bool in_flight = false;
    try {
      in_flight = self->take_step() && self->keep_going();
    } catch (...) {
      self->error_ = std::current_exception();
    }
    if (!in_flight) self->waiting_.resume();  // the frame, and this object, may be gone after
  }

  Steps steps_;
  bytes all_;
  std::size_t done_ = 0;
  std::coroutine_handle<> waiting_;
  bool (*start_step_)(transfer_all_awaiter*) = nullptr;
  in_place_slot<step_type_of<Steps>> step_;
  std::exception_ptr error_;
};

}  // namespace detail

template <class Derived>
class byte_stream_ops {
 public:
  /// `co_await s.write_all(data)`
  ///   Yields: nothing, once every byte of `data` was accepted by the kernel, in order.
  ///   Resumes on: the loop thread. Throws the first failure (e.g. EPIPE, ECONNRESET).
  ///   Cancellation: stops between or during writes; how much was written is then unknown to the
  ///     caller, so a cancelled write_all leaves the stream fit only for closing.
  /// `data` must stay alive until the co_await finishes. No allocation: the writes are chained by
  /// one awaiter (detail::transfer_all_awaiter), not by a coroutine.
  [[nodiscard]] auto write_all(std::span<const std::byte> data) {
    using steps = detail::stream_steps<Derived, true>;
    if constexpr (detail::item_completing<detail::step_type_of<steps>>)
      return detail::transfer_all_awaiter<steps>{steps{&self()}, data};
    else
      return write_all_task(data);
  }
  [[nodiscard]] auto write_all(std::string_view text) {
    return write_all(std::as_bytes(std::span{text.data(), text.size()}));
  }

  /// `co_await s.read_exact(buffer)`
  ///   Yields: nothing, once `buffer` is full. End of stream before that throws std::system_error
  ///     with io_errc::unexpected_eof saying how many bytes did arrive.
  ///   Resumes on: the loop thread.
  ///   Cancellation: as read_some; the bytes read so far are in `buffer` but their count is lost.
  [[nodiscard]] auto read_exact(std::span<std::byte> buffer) {
    using steps = detail::stream_steps<Derived, false>;
    if constexpr (detail::item_completing<detail::step_type_of<steps>>)
      return detail::transfer_all_awaiter<steps>{steps{&self()}, buffer};
    else
      return read_exact_task(buffer);
  }

 private:
  // The same as coroutines, for streams whose steps cannot complete into a work item.
  task<void> write_all_task(std::span<const std::byte> data) {
    detail::stream_steps<Derived, true> steps{&self()};
    for (std::size_t done = 0; done < data.size();) {
      std::size_t written = co_await steps.step(data.subspan(done), done);
      if (written == 0) [[unlikely]]  // no progress would loop forever
        steps.no_progress(done, data.size());
      done += written;
    }
  }
  task<void> read_exact_task(std::span<std::byte> buffer) {
    detail::stream_steps<Derived, false> steps{&self()};
    for (std::size_t done = 0; done < buffer.size();) {
      std::size_t got = co_await steps.step(buffer.subspan(done), done);
      if (got == 0) steps.no_progress(done, buffer.size());
      done += got;
    }
  }

  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace weft

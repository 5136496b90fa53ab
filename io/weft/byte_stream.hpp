// weft/byte_stream.hpp — what every byte stream (TCP, Unix stream, pipe end, file) offers.
//
// A byte stream has `read_some(buffer)` and `write_some(data)`, awaitables that transfer at least
// one byte (read_some yields 0 only at end of stream) and throw std::system_error naming the
// stream on failure. From those two, byte_stream_ops adds the loops everyone otherwise writes by
// hand: write_all (short writes) and read_exact (short reads, and end of stream in the middle).
// buffered_stream works over any of them.
#pragma once

#include <weft/io_error.hpp>
#include <weft/task.hpp>

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

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

template <class Derived>
class byte_stream_ops {
 public:
  /// `co_await s.write_all(data)`
  ///   Yields: nothing, once every byte of `data` was accepted by the kernel, in order.
  ///   Resumes on: the loop thread. Throws the first failure (e.g. EPIPE, ECONNRESET).
  ///   Cancellation: stops between or during writes; how much was written is then unknown to the
  ///     caller, so a cancelled write_all leaves the stream fit only for closing.
  /// `data` must stay alive until the co_await finishes.
  [[nodiscard]] task<void> write_all(std::span<const std::byte> data) {
    while (!data.empty()) {
      std::size_t written = co_await self().write_some(data);
      if (written == 0) [[unlikely]]  // no progress would loop forever
        throw_errno(EIO, self().describe("write") + " (the kernel accepted 0 bytes)");
      data = data.subspan(written);
    }
  }
  [[nodiscard]] task<void> write_all(std::string_view text) {
    return write_all(std::as_bytes(std::span{text.data(), text.size()}));
  }

  /// `co_await s.read_exact(buffer)`
  ///   Yields: nothing, once `buffer` is full. End of stream before that throws std::system_error
  ///     with io_errc::unexpected_eof saying how many bytes did arrive.
  ///   Resumes on: the loop thread.
  ///   Cancellation: as read_some; the bytes read so far are in `buffer` but their count is lost.
  [[nodiscard]] task<void> read_exact(std::span<std::byte> buffer) {
    std::size_t filled = 0;
    while (filled < buffer.size()) {
      std::size_t got = co_await self().read_some(buffer.subspan(filled));
      if (got == 0)
        throw_io_error(io_errc::unexpected_eof,
                       self().describe("read") + ": " + std::to_string(filled) + " of " +
                           std::to_string(buffer.size()) + " bytes arrived");
      filled += got;
    }
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace weft

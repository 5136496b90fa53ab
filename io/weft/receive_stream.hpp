// weft/receive_stream.hpp — a multishot receive: one SQE, then data as it arrives, each chunk in a
// buffer the kernel picked from a buffer_ring.
//
//   weft::buffer_ring buffers{{.count = 1024, .buffer_size = 4096}};
//   weft::receive_stream incoming{connection, buffers};
//   while (std::optional<weft::provided_buffer> chunk = co_await incoming.next())
//     consume(chunk->bytes());   // the buffer goes back to the ring when `chunk` is destroyed
//
// Against read_some into a buffer of one's own: no SQE per read (the kernel keeps the receive
// armed), and no buffer per waiting connection (the kernel takes one only when bytes arrive). The
// price: a chunk is at most one ring buffer, and the bytes must be consumed or copied before the
// buffer is released.
//
// Threading model: loop thread only (see buffer_ring). The receive is armed by the first next()
// and stays armed; see detail/multishot.hpp for back-pressure (a consumer that stops calling
// next() makes the receive pause after a few chunks, and the socket buffer holds the rest) and
// for what happens when the ring runs dry (the receive is parked and re-armed when a buffer comes
// back). Destroying the stream cancels the receive; its memory and the ring stay alive until the
// kernel's final completion. The socket must outlive the stream.
#pragma once

#include <weft/buffer_ring.hpp>
#include <weft/detail/multishot.hpp>
#include <weft/stream_socket.hpp>

#include <optional>
#include <utility>

namespace weft {

namespace detail {
class receive_source;
}

class receive_stream {
 public:
  struct options {
    /// Chunks queued unread at which the receive pauses (back-pressure).
    std::size_t pause_at = 8;
  };

  receive_stream() noexcept = default;
  /// Starts nothing yet: the first next() arms the receive on `socket` into `buffers`. Both must
  /// belong to the calling loop thread's loop.
  receive_stream(const stream_socket& socket, const buffer_ring& buffers, options opts);
  receive_stream(const stream_socket& socket, const buffer_ring& buffers)
      : receive_stream(socket, buffers, options{}) {}
  receive_stream(receive_stream&& other) noexcept
      : source_(std::exchange(other.source_, nullptr)) {}
  receive_stream& operator=(receive_stream&& other) noexcept;
  /// Cancels the receive (a request: see the header comment) and gives queued buffers back.
  ~receive_stream();

  /// The awaitable of next().
  class next_awaiter {
   public:
    next_awaiter(detail::multishot_source& source, detail::receive_source& receive) noexcept
        : inner_(source.next()), receive_(receive) {}
    bool await_ready() const noexcept { return inner_.await_ready(); }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      return inner_.await_suspend(waiting);
    }
    std::optional<provided_buffer> await_resume();

   private:
    detail::multishot_source::next_awaiter inner_;
    detail::receive_source& receive_;
  };

  /// `co_await incoming.next()`
  ///   Yields: the next chunk of received bytes (never empty), or an empty optional once the peer
  ///     has shut down sending and every earlier chunk was taken.
  ///   Resumes on: the loop thread.
  ///   Cancellation: operation_cancelled; the receive stays armed and nothing received is lost —
  ///     the next call yields it.
  /// Throws std::system_error "recv from <peer>: <reason>" (ECONNRESET, ...), after the chunks
  /// that arrived before the error.
  [[nodiscard]] next_awaiter next();

 private:
  detail::receive_source* source_ = nullptr;
};

}  // namespace weft

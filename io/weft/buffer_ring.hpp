// weft/buffer_ring.hpp — buffers the kernel picks from when data arrives (io_uring provided
// buffers), so that a connection waiting for data owns no buffer of its own.
//
// A plain recv needs a buffer per waiting connection: 10,000 idle connections hold 10,000 buffers
// the kernel may write into at any time. With a buffer ring the kernel takes a buffer only when
// bytes actually arrive, and the receiver hands it back once it has read it. A multishot receive
// (stream_socket::receive_stream) on such a ring also needs no new SQE per read.
//
// Threading model: a buffer ring belongs to one loop — the one whose thread created it — and is
// used, lent out and destroyed on that loop's thread only (the kernel refuses a SINGLE_ISSUER
// ring's registrations from any other thread, and nothing here is locked). Copy the bytes out of a
// provided_buffer to hand them to another thread; do not hand over the buffer itself.
//
// Lifetime: `buffer_ring` is a handle to shared state that every lent provided_buffer and every
// receive_stream also holds, so the ring stays registered (and its memory mapped) until the last
// of them — often a multishot receive waiting for its final CQE after a cancel — is gone; then it
// is unregistered and unmapped, on the loop thread.
//
// Running dry: when every buffer is lent out, the kernel ends a multishot receive with ENOBUFS.
// The receive is then parked on the ring and re-armed as soon as a buffer comes back — the data
// waits in the socket meanwhile; nothing is lost and nothing spins.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace weft {

class io_loop;

namespace detail {
class buffer_ring_state;
class buffer_ring_client;
}  // namespace detail

/// One buffer of a buffer_ring, filled by the kernel and lent to the receiver. Move-only; the
/// buffer goes back to the ring when this is destroyed (on the loop thread).
class provided_buffer {
 public:
  provided_buffer() noexcept = default;
  provided_buffer(provided_buffer&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)), id_(other.id_), size_(other.size_) {}
  provided_buffer& operator=(provided_buffer&& other) noexcept {
    if (this != &other) {
      release();
      ring_ = std::exchange(other.ring_, nullptr);
      id_ = other.id_;
      size_ = other.size_;
    }
    return *this;
  }
  ~provided_buffer() { release(); }

  /// The bytes the kernel received into this buffer.
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Hands the buffer back to the ring now (the destructor does it otherwise).
  void release() noexcept;

 private:
  friend class detail::buffer_ring_state;
  provided_buffer(detail::buffer_ring_state* ring, std::uint16_t id, std::uint32_t size) noexcept;

  detail::buffer_ring_state* ring_ = nullptr;
  std::uint16_t id_ = 0;
  std::uint32_t size_ = 0;
};

class buffer_ring {
 public:
  struct options {
    /// How many buffers: a power of two, at most 32768.
    std::uint32_t count = 256;
    /// Bytes per buffer: one receive fills at most one buffer.
    std::uint32_t buffer_size = 4096;
  };

  buffer_ring() noexcept = default;
  /// Allocates the buffers and registers them with the calling loop's ring, under the first free
  /// buffer group id. Must be called on a loop thread. Throws std::invalid_argument for a bad
  /// count or size, std::system_error "register buffer ring: <reason>" when the kernel refuses
  /// (provided buffer rings need Linux 5.19).
  explicit buffer_ring(options opts);
  buffer_ring(const buffer_ring& other) noexcept;
  buffer_ring& operator=(const buffer_ring& other) noexcept;
  buffer_ring(buffer_ring&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  buffer_ring& operator=(buffer_ring&& other) noexcept;
  /// Drops this handle; the ring is unregistered once nothing else holds it (see Lifetime).
  ~buffer_ring();

  [[nodiscard]] explicit operator bool() const noexcept { return state_ != nullptr; }
  /// The buffer group id the SQEs of a receive name (IOSQE_BUFFER_SELECT).
  [[nodiscard]] std::uint16_t group() const noexcept;
  [[nodiscard]] std::uint32_t count() const noexcept;
  [[nodiscard]] std::uint32_t buffer_size() const noexcept;
  /// Buffers the kernel can pick from now (not lent out).
  [[nodiscard]] std::uint32_t available() const noexcept;
  [[nodiscard]] io_loop& loop() const noexcept;

  /// For operations built on the ring (receive_stream). Not for users.
  [[nodiscard]] detail::buffer_ring_state* state() const noexcept { return state_; }

 private:
  detail::buffer_ring_state* state_ = nullptr;
};

}  // namespace weft

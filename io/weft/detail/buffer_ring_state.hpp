// weft/detail/buffer_ring_state.hpp — what a buffer_ring handle points to. Loop thread only.
//
// Counted references: the user's buffer_ring handles, every lent provided_buffer, and every
// multishot receive that names the ring's group (until its final CQE). The last one to go
// unregisters the ring from the kernel and unmaps it.
//
// Lending: the kernel picks a free buffer when bytes arrive and says which in the CQE; take()
// wraps it as a provided_buffer; give_back() puts it at the ring's tail again and, if a receive
// was parked because the ring ran dry, queues that receive's re-arm on the loop (never re-arming
// from inside a completion: that would reap completions while completions are being reaped).
#pragma once

#include <weft/buffer_ring.hpp>

#include <liburing.h>

#include <cstddef>
#include <cstdint>

namespace weft::detail {

/// Something waiting for a buffer to come back (a multishot receive that hit ENOBUFS).
class buffer_ring_client {
 public:
  /// Called on the loop thread when a buffer was given back; must not submit SQEs itself.
  virtual void buffers_available() noexcept = 0;

 protected:
  ~buffer_ring_client() = default;

 private:
  friend class buffer_ring_state;
  buffer_ring_client* next_parked_ = nullptr;
  bool parked_ = false;
};

class buffer_ring_state {
 public:
  buffer_ring_state(io_loop& loop, std::uint32_t count, std::uint32_t buffer_size);
  buffer_ring_state(const buffer_ring_state&) = delete;
  buffer_ring_state& operator=(const buffer_ring_state&) = delete;

  void add_ref() noexcept { ++references_; }
  /// Unregisters and frees the ring when this was the last reference.
  void drop_ref() noexcept;

  /// A CQE says the kernel filled a buffer (IORING_CQE_F_BUFFER): it is lent out until given back.
  void filled() noexcept { ++lent_; }
  /// The buffer a CQE said the kernel filled with `size` bytes, for the consumer.
  [[nodiscard]] provided_buffer take(std::uint32_t cqe_flags, std::uint32_t size) noexcept;
  /// Returns buffer `id` to the kernel (the CQE carried it but nobody will read it).
  void give_back(std::uint16_t id) noexcept;
  [[nodiscard]] std::byte* data(std::uint16_t id) const noexcept {
    return buffers_ + static_cast<std::size_t>(id) * buffer_size_;
  }

  /// `client` ran the ring dry: tell it once a buffer is back. A client parks at most once.
  void park(buffer_ring_client* client) noexcept;
  /// `client` is going away: forget it.
  void unpark(buffer_ring_client* client) noexcept;

  [[nodiscard]] io_loop& loop() const noexcept { return loop_; }
  [[nodiscard]] std::uint16_t group() const noexcept { return group_; }
  [[nodiscard]] std::uint32_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint32_t buffer_size() const noexcept { return buffer_size_; }
  [[nodiscard]] std::uint32_t available() const noexcept { return count_ - lent_; }

 private:
  ~buffer_ring_state();

  io_loop& loop_;
  std::uint32_t count_;
  std::uint32_t buffer_size_;
  std::uint16_t group_ = 0;
  io_uring_buf_ring* ring_ = nullptr;  // count_ entries, shared with the kernel (mmap)
  std::size_t ring_bytes_ = 0;
  std::byte* buffers_ = nullptr;  // count_ × buffer_size_ bytes (mmap)
  std::size_t buffer_bytes_ = 0;
  std::uint32_t lent_ = 0;  // buffers the kernel has filled and nobody has given back yet
  std::size_t references_ = 1;
  buffer_ring_client* parked_head_ = nullptr;  // FIFO of clients waiting for a buffer
  buffer_ring_client* parked_tail_ = nullptr;
};

}  // namespace weft::detail

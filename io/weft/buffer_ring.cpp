#include <weft/buffer_ring.hpp>

#include <weft/detail/buffer_ring_state.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/io_error.hpp>
#include <weft/io_loop.hpp>
#include <weft/log.hpp>

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace weft {
namespace detail {

static_assert(offsetof(io_uring_buf_ring, tail) == 14 && sizeof(io_uring_buf) == 16,
              "the buffer ring layout the kernel expects");

namespace {

void* map_anonymous(std::size_t bytes, const char* what) {
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw_errno(errno, fmt::format("buffer ring: mmap {}", what));
  return memory;
}

}  // namespace

buffer_ring_state::buffer_ring_state(io_loop& loop, std::uint32_t count, std::uint32_t buffer_size)
    : loop_(loop), count_(count), buffer_size_(buffer_size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0)
    throw std::invalid_argument(
        fmt::format("weft: buffer_ring: count {} is not a power of two in [1, 32768]", count));
  if (buffer_size == 0)
    throw std::invalid_argument("weft: buffer_ring: buffer_size must not be zero");
  WEFT_CHECK(io_loop::current() == &loop, "a buffer_ring was created off its loop's thread");

  ring_bytes_ = static_cast<std::size_t>(count) * sizeof(io_uring_buf);
  buffer_bytes_ = static_cast<std::size_t>(count) * buffer_size;
  ring_ = static_cast<io_uring_buf_ring*>(map_anonymous(ring_bytes_, "ring"));
  try {
    buffers_ = static_cast<std::byte*>(map_anonymous(buffer_bytes_, "buffers"));
  } catch (...) {
    ::munmap(ring_, ring_bytes_);
    throw;
  }
  io_uring_buf_ring_init(ring_);

  // Group ids are per ring; take the first one nobody registered (EEXIST means taken).
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uintptr_t>(ring_);
  registration.ring_entries = count;
  int result = -EEXIST;
  for (unsigned id = 0; id <= 0xffff && result == -EEXIST; ++id) {
    registration.bgid = static_cast<std::uint16_t>(id);
    result = io_uring_register_buf_ring(&loop.native_ring(), &registration, 0);
    group_ = static_cast<std::uint16_t>(id);
  }
  if (result != 0) {
    ::munmap(buffers_, buffer_bytes_);
    ::munmap(ring_, ring_bytes_);
    throw_errno(-result, result == -EINVAL ? "register buffer ring (needs Linux 5.19 or later)"
                                           : "register buffer ring");
  }
  int mask = io_uring_buf_ring_mask(count);
  for (std::uint32_t id = 0; id < count; ++id)
    io_uring_buf_ring_add(ring_, data(static_cast<std::uint16_t>(id)), buffer_size,
                          static_cast<unsigned short>(id), mask, static_cast<int>(id));
  io_uring_buf_ring_advance(ring_, static_cast<int>(count));
}

buffer_ring_state::~buffer_ring_state() {
  WEFT_CHECK(io_loop::current() == &loop_,
             "the last reference to a buffer_ring was dropped off its loop's thread (a "
             "provided_buffer handed to another thread?)");
  int result = io_uring_unregister_buf_ring(&loop_.native_ring(), group_);
  if (result != 0)
    log_error("buffer ring {}: unregister failed: {}", group_, std::strerror(-result));
  ::munmap(buffers_, buffer_bytes_);
  ::munmap(ring_, ring_bytes_);
}

void buffer_ring_state::drop_ref() noexcept {
  if (--references_ == 0) delete this;
}

provided_buffer buffer_ring_state::take(std::uint32_t cqe_flags, std::uint32_t size) noexcept {
  WEFT_CHECK((cqe_flags & IORING_CQE_F_BUFFER) != 0, "a CQE without a provided buffer");
  auto id = static_cast<std::uint16_t>(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
  add_ref();
  return provided_buffer{this, id, size};
}

void buffer_ring_state::give_back(std::uint16_t id) noexcept {
  io_uring_buf_ring_add(ring_, data(id), buffer_size_, id, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(ring_, 1);
  --lent_;
  if (buffer_ring_client* client = parked_head_) {
    parked_head_ = client->next_parked_;
    if (parked_head_ == nullptr) parked_tail_ = nullptr;
    client->next_parked_ = nullptr;
    client->parked_ = false;
    client->buffers_available();
  }
}

void buffer_ring_state::park(buffer_ring_client* client) noexcept {
  if (client->parked_) return;
  client->parked_ = true;
  client->next_parked_ = nullptr;
  if (parked_tail_ != nullptr)
    parked_tail_->next_parked_ = client;
  else
    parked_head_ = client;
  parked_tail_ = client;
}

void buffer_ring_state::unpark(buffer_ring_client* client) noexcept {
  if (!client->parked_) return;
  buffer_ring_client* previous = nullptr;
  for (buffer_ring_client* at = parked_head_; at != nullptr; previous = at, at = at->next_parked_) {
    if (at != client) continue;
    (previous != nullptr ? previous->next_parked_ : parked_head_) = at->next_parked_;
    if (parked_tail_ == at) parked_tail_ = previous;
    break;
  }
  client->parked_ = false;
  client->next_parked_ = nullptr;
}

}  // namespace detail

// ---- provided_buffer ----

provided_buffer::provided_buffer(detail::buffer_ring_state* ring, std::uint16_t id,
                                 std::uint32_t size) noexcept
    : ring_(ring), id_(id), size_(size) {}

std::span<const std::byte> provided_buffer::bytes() const noexcept {
  if (ring_ == nullptr) return {};
  return {ring_->data(id_), size_};
}

void provided_buffer::release() noexcept {
  detail::buffer_ring_state* ring = std::exchange(ring_, nullptr);
  if (ring == nullptr) return;
  size_ = 0;
  ring->give_back(id_);
  ring->drop_ref();
}

// ---- buffer_ring ----

buffer_ring::buffer_ring(options opts) {
  io_loop* loop = io_loop::current();
  if (loop == nullptr)
    throw std::logic_error("weft: a buffer_ring must be created on a loop thread");
  state_ = new detail::buffer_ring_state(*loop, opts.count, opts.buffer_size);
}

buffer_ring::buffer_ring(const buffer_ring& other) noexcept : state_(other.state_) {
  if (state_ != nullptr) state_->add_ref();
}

buffer_ring& buffer_ring::operator=(const buffer_ring& other) noexcept {
  if (other.state_ != nullptr) other.state_->add_ref();
  if (state_ != nullptr) state_->drop_ref();
  state_ = other.state_;
  return *this;
}

buffer_ring& buffer_ring::operator=(buffer_ring&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) state_->drop_ref();
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

buffer_ring::~buffer_ring() {
  if (state_ != nullptr) state_->drop_ref();
}

std::uint16_t buffer_ring::group() const noexcept {
  return state_->group();
}
std::uint32_t buffer_ring::count() const noexcept {
  return state_->count();
}
std::uint32_t buffer_ring::buffer_size() const noexcept {
  return state_->buffer_size();
}
std::uint32_t buffer_ring::available() const noexcept {
  return state_->available();
}
io_loop& buffer_ring::loop() const noexcept {
  return state_->loop();
}

}  // namespace weft

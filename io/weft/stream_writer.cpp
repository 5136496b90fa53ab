// weft/stream_writer.cpp — the write-behind state. Design: see the header.
#include <weft/byte_stream.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/log.hpp>
#include <weft/stream_writer.hpp>

#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <system_error>
#include <vector>

namespace weft {

namespace detail {

/// Everything a writer's sends need, on the heap: the kernel's completions point at it, so a writer
/// destroyed with a send in flight leaves it behind until the CQE (`orphaned_`). Loop thread only.
class write_behind final : private uring_completion, private work_item {
 public:
  write_behind(int fd, bool is_socket, const void* stream, describe_fn describe,
               std::size_t limit) noexcept
      : fd_(fd), is_socket_(is_socket), stream_(stream), describe_(describe), limit_(limit) {
    on_cqe = &on_send_done;
    run = &run_pump;
  }

  /// A write's fast path: true when the bytes were taken (sent from where they are, or copied),
  /// or when the writer is broken (`broken` set); false when the write must wait.
  bool try_take(std::span<const std::byte> data, bool unchanging, bool& broken) {
    if (error_) {
      broken = true;
      return true;
    }
    if (data.empty()) return true;
    if (head_ != nullptr) return false;  // first come, first served
    if (!busy_) {                        // idle: nothing buffered, nothing in flight
      if (unchanging) {
        current_ = data;
      } else {
        if (data.size() > limit_) return false;
        sending_.assign(data.begin(), data.end());
        current_ = sending_;
      }
      start_send();
      return true;
    }
    if (data.size() > limit_ - buffered()) return false;
    filling_.insert(filling_.end(), data.begin(), data.end());
    return true;
  }

  /// A flush's fast path: true when nothing is unsent, or when the writer is broken.
  bool try_flush(bool& broken) const noexcept {
    broken = error_ != nullptr;
    return broken || (!busy_ && head_ == nullptr);
  }

  /// A write or flush that could not finish at once joins the FIFO (the coroutine is suspended).
  void add_waiter(writer_wait* waiter) noexcept {
    if (tail_ != nullptr)
      tail_->next = waiter;
    else
      head_ = waiter;
    tail_ = waiter;
    if (!busy_) advance();  // nothing will complete to serve it: serve it now
  }

  /// A stop request reached a waiter (loop thread, its stop item).
  void cancel_wait(writer_wait* waiter) noexcept {
    if (waiter == direct_) {
      // Its bytes are being sent from its frame: ask the kernel to stop; the completion decides.
      if (!cancel_requested_ && in_flight_) submit_cancel();
      cancel_requested_ = true;
      return;
    }
    writer_wait** link = &head_;
    writer_wait* previous = nullptr;
    while (*link != waiter) {
      WEFT_CHECK(*link != nullptr, "stream_writer: a cancelled waiter was not queued");
      previous = *link;
      link = &(*link)->next;
    }
    *link = waiter->next;
    if (tail_ == waiter) tail_ = previous;
    waiter->next = nullptr;
    waiter->finish(-ECANCELED);
    advance();  // a smaller write queued behind it may fit now
  }

  [[nodiscard]] const std::exception_ptr& error() const noexcept { return error_; }

  /// The writer is destroyed: drop what is unsent, cancel the send in flight, and free this now or
  /// at its completion.
  void release() noexcept {
    WEFT_CHECK(head_ == nullptr && direct_ == nullptr,
               "a stream_writer was destroyed while a coroutine waits on it");
    if (!error_ && unsent() != 0)
      log_debug("stream_writer: {} unsent bytes dropped (no flush before destruction)", unsent());
    if (!busy_) {
      delete this;
      return;
    }
    orphaned_ = true;
    filling_.clear();
    if (in_flight_) submit_cancel();  // else the completion is queued: run_pump frees it
  }

  [[nodiscard]] std::size_t unsent() const noexcept { return current_.size() + filling_.size(); }
  [[nodiscard]] bool broken() const noexcept { return error_ != nullptr; }

 private:
  // Unsent buffers above this size are freed once sent, so that an idle writer holds little.
  static constexpr std::size_t kept_capacity = 4096;

  // Called while the loop reaps completions: no SQE may be taken here, so anything beyond
  // bookkeeping is left to run_pump.
  static void on_send_done(uring_completion* completion, int result, std::uint32_t) noexcept {
    auto* self = static_cast<write_behind*>(completion);
    self->loop_->operation_finished();
    self->in_flight_ = false;
    if (self->orphaned_) {
      delete self;
      return;
    }
    if (result == static_cast<int>(self->current_.size()) && self->head_ == nullptr &&
        self->filling_.empty() && self->direct_ == nullptr) {
      self->finish_segment();  // the common case: all sent, nothing else to do
      self->busy_ = false;
      return;
    }
    self->result_ = result;
    self->loop_->make_ready(self);
  }

  static void run_pump(work_item* item) noexcept {
    auto* self = static_cast<write_behind*>(item);
    if (self->orphaned_) {
      delete self;
      return;
    }
    self->pump();
  }

  // A completion that left work (loop thread, as a work item).
  void pump() noexcept {
    int result = result_;
    if (result <= 0) {
      if (direct_ != nullptr && cancel_requested_ && (result == -ECANCELED || result == -EINTR)) {
        end_cancelled_direct();
      } else if (result == 0) {
        fail(std::make_exception_ptr(std::system_error{
            EIO, std::system_category(), describe() + " (the kernel accepted 0 bytes)"}));
      } else {
        fail(std::make_exception_ptr(
            std::system_error{-result, std::system_category(), describe()}));
      }
      return;
    }
    auto moved = static_cast<std::size_t>(result);
    current_ = current_.subspan(moved);
    if (direct_ != nullptr) direct_sent_ += moved;
    if (!current_.empty()) {  // a short send: the rest goes next
      if (direct_ != nullptr && cancel_requested_)
        end_cancelled_direct();
      else
        start_send();
      return;
    }
    if (direct_ != nullptr) {
      std::exchange(direct_, nullptr)->finish(0);  // all of it went, stop or not
      cancel_requested_ = false;
    }
    finish_segment();
    busy_ = false;
    advance();
  }

  // Serves waiters in order while it can, then starts sending what is buffered.
  void advance() noexcept {
    while (writer_wait* waiter = head_) {
      if (waiter->kind_ == writer_wait::kind::flush) {
        if (busy_ || !filling_.empty()) break;
        pop_head()->finish(0);
      } else if (waiter->data_.size() <= limit_ - buffered()) {
        try {
          filling_.insert(filling_.end(), waiter->data_.begin(), waiter->data_.end());
        } catch (...) {
          // No memory for the copy: this write fails (its co_await throws std::bad_alloc) having
          // taken nothing, like a cancelled one; the writer and the writes behind it go on.
          pop_head()->fail(std::current_exception());
          continue;
        }
        pop_head()->finish(0);
      } else if (!busy_ && filling_.empty() && sending_.empty()) {
        // Larger than the whole room: sent from the waiter's memory, which its frame keeps alive
        // until we resume it.
        direct_ = pop_head();
        direct_sent_ = 0;
        current_ = direct_->data_;
        start_send();
        return;
      } else {
        break;
      }
    }
    if (!busy_ && !filling_.empty()) {
      std::swap(sending_, filling_);
      current_ = sending_;
      start_send();
    }
  }

  writer_wait* pop_head() noexcept {
    writer_wait* waiter = head_;
    head_ = waiter->next;
    if (head_ == nullptr) tail_ = nullptr;
    waiter->next = nullptr;
    return waiter;
  }

  void start_send() noexcept {
    io_loop* loop = io_loop::current();
    WEFT_CHECK(loop != nullptr && (loop_ == nullptr || loop_ == loop),
               "a stream_writer was used outside its loop's thread");
    loop_ = loop;
    io_uring_sqe* sqe = loop->acquire_sqe();
    auto size = static_cast<unsigned>(std::min(current_.size(), max_transfer));
    if (is_socket_)
      io_uring_prep_send(sqe, fd_, current_.data(), size, MSG_NOSIGNAL);
    else
      io_uring_prep_write(sqe, fd_, current_.data(), size, -1);
    io_uring_sqe_set_data(sqe, static_cast<uring_completion*>(this));
    loop->operation_started();
    busy_ = in_flight_ = true;
  }

  void submit_cancel() noexcept {
    io_uring_sqe* sqe = loop_->acquire_sqe();
    io_uring_prep_cancel64(
        sqe, reinterpret_cast<std::uintptr_t>(static_cast<uring_completion*>(this)), 0);
    io_uring_sqe_set_data(sqe, nullptr);  // the cancel's own CQE is of no interest
  }

  // The bytes of the segment just sent are no longer needed.
  void finish_segment() noexcept {
    current_ = {};
    if (sending_.capacity() > kept_capacity)
      std::vector<std::byte>{}.swap(sending_);
    else
      sending_.clear();
  }

  // A write larger than the room was stopped while being sent from its caller's memory.
  void end_cancelled_direct() noexcept {
    writer_wait* waiter = std::exchange(direct_, nullptr);
    std::size_t total = waiter->data_.size();
    cancel_requested_ = false;
    current_ = {};
    if (direct_sent_ == 0) {  // none of it went: the stream is as if it had not been written
      waiter->finish(-ECANCELED);
      busy_ = false;
      advance();
      return;
    }
    fail(std::make_exception_ptr(std::system_error{
        ECANCELED, std::system_category(),
        describe() + ": cancelled after " + std::to_string(direct_sent_) + " of " +
            std::to_string(total) + " bytes, so the stream's contents are incomplete"}));
    waiter->finish(-ECANCELED);  // its caller sees the cancellation; later writes the error
  }

  // A send failed: the writer is broken; every waiter learns it.
  void fail(std::exception_ptr error) noexcept {
    error_ = std::move(error);
    busy_ = false;
    current_ = {};
    filling_.clear();
    finish_segment();
    if (direct_ != nullptr) std::exchange(direct_, nullptr)->fail(error_);
    while (head_ != nullptr)
      pop_head()->fail(error_);
  }

  [[nodiscard]] std::size_t buffered() const noexcept { return sending_.size() + filling_.size(); }
  [[nodiscard]] std::string describe() const {
    return describe_(stream_, is_socket_ ? "send to" : "write to");
  }

  int fd_;
  bool is_socket_;
  const void* stream_;  // for describe_, while the writer exists
  describe_fn describe_;
  std::size_t limit_;
  io_loop* loop_ = nullptr;  // set by the first send

  // What the send in flight (or the next one) sends: the rest of `sending_`, of caller-owned
  // unchanging bytes (write_static), or of direct_'s data.
  std::span<const std::byte> current_;
  std::vector<std::byte> sending_;  // copied bytes current_ points into
  std::vector<std::byte> filling_;  // copied while a send was in flight; sent next, in one go
  writer_wait* head_ = nullptr;     // waiting writes and flushes, first come first served
  writer_wait* tail_ = nullptr;
  writer_wait* direct_ = nullptr;  // the write larger than the room being sent from its memory
  std::size_t direct_sent_ = 0;
  std::exception_ptr error_;       // set once a send failed: the writer is broken
  int result_ = 0;                 // the completion run_pump handles
  bool busy_ = false;              // a send is in flight, or its completion is queued for run_pump
  bool in_flight_ = false;         // the kernel holds a send whose CQE has not arrived
  bool cancel_requested_ = false;  // the direct write's caller was stopped
  bool orphaned_ = false;          // the writer is gone: free this at the completion
};

bool writer_wait::try_write(bool unchanging) {
  WEFT_CHECK(writer_ != nullptr, "write on a moved-from stream_writer");
  bool broken = false;
  if (!writer_->try_take(data_, unchanging, broken)) return false;
  if (broken) error_ = writer_->error();
  return true;
}

bool writer_wait::try_flush() {
  WEFT_CHECK(writer_ != nullptr, "flush on a moved-from stream_writer");
  bool broken = false;
  if (!writer_->try_flush(broken)) return false;
  if (broken) error_ = writer_->error();
  return true;
}

void writer_wait::start_waiting() {
  writer_->add_waiter(this);
}

void writer_wait::finish_early() noexcept {
  writer_->cancel_wait(this);
}

void writer_wait::resume() {
  if (stopped_before_start_) throw operation_cancelled{};
  (void)disarm();  // a stop that came after the wait ended changes nothing
  if (result_ == -ECANCELED) throw operation_cancelled{};
  if (error_) std::rethrow_exception(error_);  // never through writer_: it may be gone
}

}  // namespace detail

stream_writer::stream_writer(int fd, bool is_socket, const void* stream,
                             detail::describe_fn describe, std::size_t limit)
    : state_(new detail::write_behind(fd, is_socket, stream, describe, limit)) {}

stream_writer& stream_writer::operator=(stream_writer&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) state_->release();
    state_ = std::exchange(other.state_, nullptr);
  }
  return *this;
}

stream_writer::~stream_writer() {
  if (state_ != nullptr) state_->release();
}

std::size_t stream_writer::unsent() const noexcept {
  return state_ != nullptr ? state_->unsent() : 0;
}

bool stream_writer::broken() const noexcept {
  return state_ != nullptr && state_->broken();
}

}  // namespace weft

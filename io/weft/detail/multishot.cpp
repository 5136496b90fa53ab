#include <weft/detail/fatal.hpp>
#include <weft/detail/multishot.hpp>

#include <algorithm>
#include <cstdint>

namespace weft::detail {

multishot_source::multishot_source(io_loop& loop, std::size_t pause_at)
    : loop_(loop), pause_at_(std::max<std::size_t>(pause_at, 1)) {
  on_cqe = &on_cqe_static;
  run = &run_deferred;
}

multishot_source::~multishot_source() = default;

void multishot_source::release() noexcept {
  WEFT_CHECK(io_loop::current() == &loop_, "a multishot stream was dropped off its loop's thread");
  WEFT_CHECK(waiting_ == nullptr, "a multishot stream was dropped while next() waits on it");
  handle_alive_ = false;
  while (std::optional<multishot_record> record = pop())
    if (carries_resource(*record)) discard(*record);
  if (armed_ && !cancel_requested_) request_cancel();
  delete_if_done();
}

void multishot_source::ensure_armed() {
  if (!armed_ && !ended_ && !starved_ && handle_alive_) arm_now();
}

void multishot_source::arm_now() {
  io_uring_sqe* sqe = loop_.acquire_sqe();
  prepare(sqe);
  io_uring_sqe_set_data(sqe, static_cast<uring_completion*>(this));
  loop_.operation_started();
  armed_ = true;
  burst_ = 0;
  burst_over_ = false;
}

void multishot_source::request_cancel() noexcept {
  io_uring_sqe* sqe = loop_.acquire_sqe();
  io_uring_prep_cancel64(sqe,
                         reinterpret_cast<std::uintptr_t>(static_cast<uring_completion*>(this)), 0);
  io_uring_sqe_set_data(sqe, nullptr);  // the cancel's own CQE is of no interest
  cancel_requested_ = true;
}

void multishot_source::on_cqe_static(uring_completion* self, int result,
                                     std::uint32_t flags) noexcept {
  static_cast<multishot_source*>(self)->handle_cqe(result, flags);
}

void multishot_source::handle_cqe(int result, std::uint32_t flags) noexcept {
  multishot_record record{result, flags};
  arrived(record);
  bool final = (flags & IORING_CQE_F_MORE) == 0;
  if (final) {
    armed_ = false;
    cancel_requested_ = false;
    loop_.operation_finished();
  }
  if (!handle_alive_) {
    if (carries_resource(record)) discard(record);
    if (final) delete_if_done();
    return;
  }
  if (final && result == -ECANCELED) {
    // Paused by back-pressure, renewed, or cancelled by the kernel: nothing to hand the consumer.
    if (waiting_ != nullptr || count_ == 0) rearm_later();
    return;
  }
  if (final && starved(result)) {
    starved_ = true;  // the subclass parked this source; rearm_later() ends the starvation
    return;
  }
  push(record);
  if (!burst_over_) {
    if (burst_continues(record))
      ++burst_;
    else
      burst_over_ = true;
  }
  bool paused = count_ >= pause_at_;
  if (next_awaiter* waiter = std::exchange(waiting_, nullptr)) {
    waiter->deliver();
    paused = false;
  }
  if (armed_ && !cancel_requested_ && (paused || renewal_due())) {
    cancel_wanted_ = true;
    schedule_deferred();
  }
}

void multishot_source::rearm_later() noexcept {
  starved_ = false;
  if (!handle_alive_) return;
  rearm_wanted_ = true;
  schedule_deferred();
}

void multishot_source::schedule_deferred() noexcept {
  if (deferred_queued_) return;
  deferred_queued_ = true;
  loop_.make_ready(this);
}

void multishot_source::run_deferred(work_item* item) noexcept {
  auto* self = static_cast<multishot_source*>(item);
  self->deferred_queued_ = false;
  if (self->handle_alive_) {
    if (std::exchange(self->rearm_wanted_, false) && self->count_ < self->pause_at_)
      self->ensure_armed();
    if (std::exchange(self->cancel_wanted_, false) && self->armed_ && !self->cancel_requested_ &&
        (self->count_ >= self->pause_at_ || self->renewal_due()))
      self->request_cancel();
  }
  self->delete_if_done();
}

void multishot_source::push(multishot_record record) {
  if (count_ == capacity_) {
    std::size_t grown = capacity_ == 0 ? 4 : capacity_ * 2;
    auto larger = std::make_unique<multishot_record[]>(grown);
    for (std::size_t i = 0; i < count_; ++i)
      larger[i] = records_[(head_ + i) % capacity_];
    records_ = std::move(larger);
    capacity_ = grown;
    head_ = 0;
  }
  records_[(head_ + count_) % capacity_] = record;
  ++count_;
}

std::optional<multishot_record> multishot_source::pop() noexcept {
  if (count_ == 0) {
    WEFT_CHECK(ended_ || !handle_alive_, "multishot_source: woken with nothing queued");
    return std::nullopt;
  }
  multishot_record record = records_[head_];
  head_ = (head_ + 1) % capacity_;
  --count_;
  return record;
}

void multishot_source::delete_if_done() noexcept {
  if (!handle_alive_ && !armed_ && !deferred_queued_) delete this;
}

}  // namespace weft::detail

// weft/detail/multishot.hpp — a multishot io_uring operation (accept, receive) whose completions
// queue up for a consumer that takes them one at a time with `co_await next()`.
//
// Threading model: loop thread only. CQEs are reaped there, the consumer is a coroutine there, and
// the only cross-thread event — a stop request for a waiting next() — goes through loop_wait,
// which hops to the loop thread before touching anything.
//
// Ownership: a multishot_source is heap-allocated and owned jointly by its consumer handle
// (receive_stream, connection_stream) and by the kernel while the operation is armed. Dropping the
// handle asks the kernel to cancel; the source deletes itself when both are done — the handle gone
// and the final CQE (the one without IORING_CQE_F_MORE) reaped — so no CQE ever names freed memory.
// The loop counts an armed source as an operation in flight: shutdown waits for its final CQE.
//
// Life of the operation:
//   * armed lazily, by the first next() that finds nothing queued;
//   * each CQE is queued as a record (result, flags) in arrival order, and wakes the waiting
//     next(), if any;
//   * back-pressure: once `pause_at` records wait unconsumed, the operation is cancelled (a
//     request; records still arriving are kept); the next next() that finds the queue empty arms
//     it again, and the kernel's own buffering (the socket, the listen backlog) holds what comes
//     meanwhile;
//   * renewal: an arming whose first burst reaches `renew_after` (32) deliveries is cancelled
//     and armed afresh. Seen on Linux 6.18 with a Unix stream socket: a multishot receive armed
//     on a socket that already holds more than 32 buffers' worth of data and the end of stream
//     delivers the data in one burst from the submission itself, past the kernel's 32-retry
//     limit, and then never the end of stream (no CQE would ever come). Deliveries that socket
//     readiness drives later are requeued correctly past that limit (checked with a
//     plain-liburing repro and by the tests). The subclass says which deliveries may still
//     belong to the first burst (burst_continues(): a receive's CQE flagged
//     IORING_CQE_F_SOCK_NONEMPTY, i.e. more was queued); the first one that does not ends the
//     watch for this arming, so a connection that drains its socket on every delivery (an HTTP
//     client waiting for each answer) is never renewed;
//   * a final CQE the subclass calls "starved" (a receive whose buffer ring ran dry) parks the
//     source until the subclass calls rearm_later();
//   * SQEs are only ever prepared from consumer calls or from the source's own work item — never
//     from inside a CQE callback, where acquiring an SQE could reap completions re-entrantly.
//
// A stop request on a waiting next() ends that wait with operation_cancelled and leaves the
// operation armed: whatever arrives stays queued for the next call, nothing is lost.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/fatal.hpp>
#include <weft/detail/loop_wait.hpp>
#include <weft/io_loop.hpp>

#include <liburing.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace weft::detail {

/// One CQE of a multishot operation, as queued for the consumer.
struct multishot_record {
  int result = 0;
  std::uint32_t flags = 0;
};

class multishot_source : private uring_completion, private work_item {
 public:
  multishot_source(const multishot_source&) = delete;
  multishot_source& operator=(const multishot_source&) = delete;

  /// The consumer handle is gone: discard what is queued, cancel the operation if armed, and free
  /// this source once its final CQE has arrived (at once when not armed).
  void release() noexcept;

  /// `co_await source.next()`
  ///   Yields: the oldest queued record (arming the operation first if nothing is queued), or an
  ///     empty optional once the subclass has marked the stream ended.
  ///   Resumes on: the loop thread.
  ///   Cancellation: a stop request ends the wait with operation_cancelled; the operation stays
  ///     armed and anything it delivers stays queued for the next call.
  class next_awaiter final : private loop_wait {
   public:
    explicit next_awaiter(multishot_source& source) noexcept : source_(source) {}
    bool await_ready() const noexcept { return source_.ended_ || source_.count_ != 0; }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      if (stop_token_of(waiting).stop_requested()) {
        stopped_before_start_ = true;
        return false;
      }
      WEFT_CHECK(source_.waiting_ == nullptr, "two coroutines wait on one multishot stream");
      source_.ensure_armed();
      if (source_.ended_ || source_.count_ != 0) return false;  // arming reaped a completion
      source_.waiting_ = this;
      arm(source_.loop_, waiting);
      suspended_ = true;
      return true;
    }
    std::optional<multishot_record> await_resume() {
      if (stopped_before_start_) throw operation_cancelled{};
      if (suspended_ && disarm() && result_ == -ECANCELED) throw operation_cancelled{};
      return source_.pop();
    }

   private:
    friend class multishot_source;
    void finish_early() noexcept override {
      source_.waiting_ = nullptr;  // the source must not complete this wait too
      complete(-ECANCELED);
    }
    void deliver() noexcept { complete(0); }

    multishot_source& source_;
    bool stopped_before_start_ = false;
    bool suspended_ = false;
  };
  [[nodiscard]] next_awaiter next() noexcept { return next_awaiter{*this}; }

  [[nodiscard]] io_loop& loop() const noexcept { return loop_; }
  /// No record will come any more: next() yields an empty optional from now on.
  void mark_ended() noexcept { ended_ = true; }
  [[nodiscard]] bool ended() const noexcept { return ended_; }

 protected:
  /// `pause_at`: queued records at which the operation is paused (see back-pressure above).
  multishot_source(io_loop& loop, std::size_t pause_at);
  virtual ~multishot_source();

  /// Fills the SQE that (re)arms the operation; the user_data is set by the caller.
  virtual void prepare(io_uring_sqe* sqe) noexcept = 0;
  /// A successful record nobody will consume (the handle is gone): release what it carries (give
  /// a buffer back, close a descriptor). Must not submit SQEs.
  virtual void discard(const multishot_record& record) noexcept = 0;
  /// A final CQE with this result ended the operation for lack of a resource that will come back
  /// (ENOBUFS for a receive): the record is not queued and the source does not re-arm until
  /// rearm_later(). False by default.
  virtual bool starved(int result) noexcept {
    (void)result;
    return false;
  }
  /// Every CQE, as it is reaped, before anything else looks at it (to count a buffer the kernel
  /// filled, say). Must not submit SQEs.
  virtual void arrived(const multishot_record& record) noexcept { (void)record; }
  /// A CQE result that carries something discard() must release (a buffer, a descriptor).
  virtual bool carries_resource(const multishot_record& record) const noexcept {
    return record.result > 0;
  }
  /// Whether this delivery may still be part of the arming's first burst, which renewal guards
  /// against (see "renewal" above). False by default: the operation is never renewed.
  virtual bool burst_continues(const multishot_record& record) noexcept {
    (void)record;
    return false;
  }

  /// Re-arms the operation from the loop's next batch (callable from a CQE callback or a
  /// buffer_ring's give_back). Does nothing once the handle is gone.
  void rearm_later() noexcept;

 private:
  static void on_cqe_static(uring_completion* self, int result, std::uint32_t flags) noexcept;
  static void run_deferred(work_item* self) noexcept;
  void handle_cqe(int result, std::uint32_t flags) noexcept;
  void ensure_armed();
  void arm_now();
  void request_cancel() noexcept;
  void schedule_deferred() noexcept;
  void push(multishot_record record);
  std::optional<multishot_record> pop() noexcept;
  void delete_if_done() noexcept;

  // First-burst deliveries after which an arming is renewed (see "renewal" above).
  static constexpr std::uint32_t renew_after = 32;
  [[nodiscard]] bool renewal_due() const noexcept { return burst_ >= renew_after; }

  io_loop& loop_;
  std::size_t pause_at_;
  // Deliveries of the current arming's first burst so far; burst_over_ once one did not continue
  // it (burst_ then stays below renew_after).
  std::uint32_t burst_ = 0;
  bool burst_over_ = false;

  // A ring of queued records, grown (doubled) when full; empty until the first CQE.
  std::unique_ptr<multishot_record[]> records_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t count_ = 0;

  next_awaiter* waiting_ = nullptr;  // the consumer's pending next(), if any
  bool armed_ = false;               // an SQE is in the kernel; its final CQE has not arrived
  bool cancel_requested_ = false;    // an ASYNC_CANCEL for the armed operation was submitted
  bool ended_ = false;               // the subclass said no more records will come
  bool starved_ = false;             // ended for lack of buffers; waits for rearm_later()
  bool handle_alive_ = true;         // the consumer handle still exists
  bool deferred_queued_ = false;     // this work item is in the loop's ready queue
  bool rearm_wanted_ = false;        // the deferred item should arm the operation
  bool cancel_wanted_ = false;       // the deferred item should cancel the operation
};

}  // namespace weft::detail

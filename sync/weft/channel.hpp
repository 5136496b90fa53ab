// weft/channel.hpp — a multi-producer, multi-consumer queue between loop coroutines, pool
// coroutines and plain threads.
//
// Contract:
//   * capacity > 0: bounded — a send waits while the buffer is full (back-pressure);
//     capacity == 0: rendezvous — a send waits until a receiver takes the value;
//     channel<T>::unbounded: sends never wait.
//   * FIFO per producer; waiting senders and receivers are served in arrival order.
//   * Nothing is lost. A send moves from the caller's value only when the value is delivered (into
//     the buffer or to a receiver): a send that fails because the channel is closed, or is
//     cancelled, leaves the value with the caller. Values sent before close() are still received;
//     recv() yields an empty optional only once the channel is closed and drained.
//   * Woken coroutines resume on their own executor (weft/waker.hpp), never inside the call that
//     woke them.
//
// Threading: every member may be called from any thread; one spin lock (detail/spin_lock.hpp)
// guards the buffer and both waiter lists. Beside it sit two lock-free hints that let an awaiter
// that will have to wait skip the lock in await_ready (see recv_may_proceed_).
#pragma once

#include <weft/detail/fatal.hpp>
#include <weft/detail/spin_lock.hpp>
#include <weft/detail/stoppable_waiter.hpp>
#include <weft/waker.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

namespace weft {

/// What a blocking timed receive found.
enum class recv_status { received, closed, timed_out };
/// What a blocking timed send did.
enum class send_status { sent, closed, timed_out };

template <class T>
class channel {
  enum class outcome { delivered, closed, must_wait };

  // A waiting sender's context: the caller's value (moved from only on delivery) and the outcome.
  struct send_slot {
    T* value;
    bool delivered;
  };

 public:
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  explicit channel(std::size_t capacity) noexcept
      : capacity_(capacity), send_may_proceed_(capacity > 0) {}
  /// Aborts when a sender or receiver still waits on it.
  ~channel() {
    std::lock_guard guard{lock_};
    WEFT_CHECK(senders_.empty() && receivers_.empty(),
               "weft::channel destroyed while senders or receivers wait on it");
  }
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;

  /// Closes the channel: waiting senders fail (keeping their values), waiting receivers get what
  /// is buffered and then an empty optional. Idempotent; any thread.
  void close() {
    waiter* woken = nullptr;
    {
      std::lock_guard guard{lock_};
      closed_ = true;
      refresh_hints();
      // Receivers only wait when the buffer is empty, so every one of them now ends empty-handed.
      woken = append(receivers_.take_all(), senders_.take_all());
    }
    wake_chain(woken);
  }
  [[nodiscard]] bool closed() const {
    std::lock_guard guard{lock_};
    return closed_;
  }

  /// Delivers `value` if that needs no waiting. Moves from `value` only when it returns true.
  [[nodiscard]] bool try_send(T& value) { return try_send_impl(value) == outcome::delivered; }
  [[nodiscard]] bool try_send(T&& value) { return try_send(value); }

  /// Takes a value if one is ready; never waits. Empty when none is (closed or not).
  [[nodiscard]] std::optional<T> try_recv() {
    waiter* woken = nullptr;
    std::optional<T> value;
    {
      std::lock_guard guard{lock_};
      take_locked(value, woken);
    }
    wake_chain(woken);
    return value;
  }

  /// `co_await ch.send(value)` (value: an lvalue, or a temporary living through the co_await)
  ///   Yields: true once the value is delivered; false if the channel is or gets closed first —
  ///     then `value` was not moved from.
  ///   Resumes on: the executor the coroutine was running on (inline when no wait was needed).
  ///   Cancellation: a stop request while waiting withdraws the send — `value` not moved from —
  ///     and co_await throws operation_cancelled. A value already delivered stays delivered.
  class send_awaiter {
   public:
    send_awaiter(channel& ch, T& value) noexcept
        : channel_(ch), value_(value), waiter_(ch.lock_, ch.senders_) {}
    bool await_ready() {
      // Nobody to take it and no room: straight to await_suspend (see recv_awaiter::await_ready).
      if (!channel_.send_may_proceed_.load(std::memory_order_relaxed)) return false;
      outcome result = channel_.try_send_impl(value_);
      if (result == outcome::must_wait) return false;
      slot_.delivered = result == outcome::delivered;
      return true;
    }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);
      waiter* woken = nullptr;
      bool suspend = false;
      {
        std::lock_guard guard{channel_.lock_};
        if (waiter_.stopped_early()) return false;
        outcome result = channel_.send_locked(value_, woken);
        if (result == outcome::must_wait) {
          waiter_.get_waiter().context = &slot_;
          waiter_.link();
          channel_.refresh_hints();
          suspend = true;
        } else {
          slot_.delivered = result == outcome::delivered;
        }
      }
      channel_.wake_chain(woken);
      return suspend;
    }
    bool await_resume() {
      waiter_.finish();
      return slot_.delivered;
    }

   private:
    channel& channel_;
    T& value_;
    detail::deferred_waiter waiter_;
    send_slot slot_{&value_, false};
  };
  [[nodiscard]] send_awaiter send(T& value) noexcept { return send_awaiter{*this, value}; }
  [[nodiscard]] send_awaiter send(T&& value) noexcept { return send_awaiter{*this, value}; }

  /// `co_await ch.recv()`
  ///   Yields: the next value; an empty optional once the channel is closed and drained.
  ///   Resumes on: the executor the coroutine was running on (inline when a value was ready).
  ///   Cancellation: a stop request while waiting withdraws the receive and co_await throws
  ///     operation_cancelled; no value is taken by it (a value handed over before the stop is
  ///     returned, not lost).
  class recv_awaiter {
   public:
    explicit recv_awaiter(channel& ch) noexcept : channel_(ch), waiter_(ch.lock_, ch.receivers_) {}
    bool await_ready() {
      // Nothing to take: go straight to await_suspend, which decides under the lock (the hint
      // may be stale either way; it only saves the lock when waiting is likely).
      if (!channel_.recv_may_proceed_.load(std::memory_order_relaxed)) return false;
      waiter* woken = nullptr;
      bool ready;
      {
        std::lock_guard guard{channel_.lock_};
        ready = channel_.take_locked(value_, woken) || channel_.closed_;
      }
      channel_.wake_chain(woken);
      return ready;
    }
    template <class Promise>
    bool await_suspend(std::coroutine_handle<Promise> waiting) {
      waiter_.prepare(waiting);
      waiter* woken = nullptr;
      bool suspend = false;
      {
        std::lock_guard guard{channel_.lock_};
        if (waiter_.stopped_early()) return false;
        if (!channel_.take_locked(value_, woken) && !channel_.closed_) {
          waiter_.get_waiter().context = &value_;
          waiter_.link();
          channel_.refresh_hints();
          suspend = true;
        }
      }
      channel_.wake_chain(woken);
      return suspend;
    }
    std::optional<T> await_resume() {
      waiter_.finish();
      return std::move(value_);
    }

   private:
    channel& channel_;
    detail::deferred_waiter waiter_;
    std::optional<T> value_;
  };
  [[nodiscard]] recv_awaiter recv() noexcept { return recv_awaiter{*this}; }

  /// For plain threads: blocks until `value` is delivered (true; moved from) or the channel is
  /// closed (false; not moved from).
  bool blocking_send(T& value) {
    return blocking_send_until(value, std::nullopt) == send_status::sent;
  }
  bool blocking_send(T&& value) { return blocking_send(value); }

  /// For plain threads: as blocking_send, giving up after `timeout` (then `value` is not moved
  /// from); says which happened.
  send_status blocking_send_for(T& value, std::chrono::steady_clock::duration timeout) {
    return blocking_send_until(value, std::chrono::steady_clock::now() + timeout);
  }

  /// For plain threads: blocks until a value arrives; empty once closed and drained.
  std::optional<T> blocking_recv() {
    std::optional<T> out;
    (void)blocking_recv_until(out, std::nullopt);
    return out;
  }

  /// For plain threads: as blocking_recv, giving up after `timeout`; says which happened.
  recv_status blocking_recv_for(std::optional<T>& out,
                                std::chrono::steady_clock::duration timeout) {
    return blocking_recv_until(out, std::chrono::steady_clock::now() + timeout);
  }

 private:
  outcome try_send_impl(T& value) {
    waiter* woken = nullptr;
    outcome result;
    {
      std::lock_guard guard{lock_};
      result = send_locked(value, woken);
    }
    wake_chain(woken);
    return result;
  }

  /// Under lock_: hand `value` to a waiting receiver, or buffer it; else must_wait.
  outcome send_locked(T& value, waiter*& woken) {
    if (closed_) return outcome::closed;
    if (waiter* r = receivers_.pop_front()) {
      static_cast<std::optional<T>*>(r->context)->emplace(std::move(value));
      woken = chain(r, woken);
      refresh_hints();
      return outcome::delivered;
    }
    if (buffer_.size() < capacity_) {
      buffer_.push_back(std::move(value));
      refresh_hints();
      return outcome::delivered;
    }
    return outcome::must_wait;
  }

  /// Under lock_: puts the next value in `value` (from the buffer, refilled from the first waiting
  /// sender, or straight from a waiting sender when there is no buffer); false when there is none.
  /// (An out-parameter: returning the optional made GCC build it on the stack in two pieces and
  /// read it back whole, a store-forwarding stall on every receive.)
  bool take_locked(std::optional<T>& value, waiter*& woken) {
    if (!buffer_.empty()) {
      value.emplace(std::move(buffer_.front()));
      buffer_.pop_front();
      if (waiter* s = senders_.pop_front()) {
        auto* slot = static_cast<send_slot*>(s->context);
        buffer_.push_back(std::move(*slot->value));
        slot->delivered = true;
        woken = chain(s, woken);
      }
    } else if (waiter* s = senders_.pop_front()) {
      auto* slot = static_cast<send_slot*>(s->context);
      value.emplace(std::move(*slot->value));
      slot->delivered = true;
      woken = chain(s, woken);
    } else {
      return false;
    }
    refresh_hints();
    return true;
  }

  /// Under lock_, after a change to the buffer, the waiter lists or closed_: the hints follow it.
  void refresh_hints() noexcept {
    recv_may_proceed_.store(!buffer_.empty() || !senders_.empty() || closed_,
                            std::memory_order_relaxed);
    send_may_proceed_.store(closed_ || !receivers_.empty() || buffer_.size() < capacity_,
                            std::memory_order_relaxed);
  }

  static waiter* chain(waiter* w, waiter* rest) noexcept {
    w->next = rest;
    return w;
  }
  static waiter* append(waiter* first, waiter* second) noexcept {
    if (first == nullptr) return second;
    waiter* last = first;
    while (last->next != nullptr)
      last = last->next;
    last->next = second;
    return first;
  }
  static void wake_chain(waiter* first) noexcept { waiter::wake_chain(first); }

  send_status blocking_send_until(T& value,
                                  std::optional<std::chrono::steady_clock::time_point> deadline) {
    send_slot slot{&value, false};
    waiter self;
    {
      waiter* woken = nullptr;
      std::unique_lock guard{lock_};
      outcome result = send_locked(value, woken);
      if (result != outcome::must_wait) {
        guard.unlock();
        wake_chain(woken);
        return result == outcome::delivered ? send_status::sent : send_status::closed;
      }
      self.prepare_thread();
      self.context = &slot;
      senders_.push_back(&self);
      refresh_hints();
    }
    if (!deadline)
      self.block();
    else if (!self.block_until_or_withdraw(lock_, senders_, *deadline))
      return send_status::timed_out;
    return slot.delivered ? send_status::sent : send_status::closed;  // written before the wake
  }

  recv_status blocking_recv_until(std::optional<T>& out,
                                  std::optional<std::chrono::steady_clock::time_point> deadline) {
    out.reset();
    waiter self;
    {
      waiter* woken = nullptr;
      std::unique_lock guard{lock_};
      if (take_locked(out, woken) || closed_) {
        guard.unlock();
        wake_chain(woken);
        return out ? recv_status::received : recv_status::closed;
      }
      self.prepare_thread();
      self.context = &out;
      receivers_.push_back(&self);
      refresh_hints();
    }
    if (!deadline)
      self.block();
    else if (!self.block_until_or_withdraw(lock_, receivers_, *deadline))
      return recv_status::timed_out;
    return out ? recv_status::received : recv_status::closed;
  }

  const std::size_t capacity_;
  mutable detail::spin_lock lock_;
  // Hints for the awaiters' await_ready, read without the lock so that an operation that will
  // have to wait skips the lock there (it is taken once, in await_suspend, either way):
  //   recv_may_proceed_ — the buffer holds a value, a sender waits, or the channel is closed;
  //   send_may_proceed_ — a receiver waits, the buffer has room, or the channel is closed.
  // Written under lock_ (relaxed, refresh_hints) wherever those change. A stale hint costs only
  // time, never correctness: await_suspend decides under the lock whatever await_ready thought.
  // (A waiter withdrawn by a stop request or a timeout leaves a hint true until the next change.)
  std::atomic<bool> recv_may_proceed_{false};
  std::atomic<bool> send_may_proceed_;
  std::deque<T> buffer_;
  bool closed_ = false;
  waiter_list senders_;    // each waiter's context is its send_slot
  waiter_list receivers_;  // each waiter's context is its std::optional<T> slot
};

}  // namespace weft

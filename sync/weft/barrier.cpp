#include <weft/barrier.hpp>

#include <weft/detail/fatal.hpp>

#include <exception>
#include <utility>

namespace weft {

barrier::barrier(std::size_t expected, std::function<void()> on_phase_complete) noexcept
    : on_phase_complete_(std::move(on_phase_complete)), expected_(expected) {}

barrier::~barrier() {
  std::lock_guard guard{lock_};
  WEFT_CHECK(waiters_.empty() && !completing_,
             "weft::barrier destroyed while a party still waits on it or completes a phase");
}

std::uint64_t barrier::phase() const noexcept {
  std::lock_guard guard{lock_};
  return phase_;
}

void barrier::arrive(std::size_t n) {
  WEFT_CHECK(n > 0, "weft::barrier::arrive(0): an arrival counts at least one");
  std::unique_lock guard{lock_};
  if (arrival_completes_locked(n)) {
    complete_phase(guard);
    return;
  }
  arrived_ += n;
}

void barrier::arrive_and_drop() {
  std::unique_lock guard{lock_};
  bool completes = arrival_completes_locked(1);
  ++dropped_;  // this phase's: complete_phase() lowers expected_ by it
  if (completes) {
    complete_phase(guard);
    return;
  }
  ++arrived_;
}

void barrier::blocking_arrive_and_wait() {
  (void)blocking_arrive_and_wait_until(std::nullopt);
}

bool barrier::blocking_arrive_and_wait_for(std::chrono::steady_clock::duration timeout) {
  return blocking_arrive_and_wait_until(std::chrono::steady_clock::now() + timeout);
}

bool barrier::blocking_arrive_and_wait_until(
    std::optional<std::chrono::steady_clock::time_point> deadline) noexcept {
  waiter self;
  {
    std::unique_lock guard{lock_};
    if (arrival_completes_locked(1)) {
      complete_phase(guard);
      return true;
    }
    self.prepare_thread();
    waiters_.push_back(&self);
    ++linked_;
  }
  if (!deadline) {
    self.block();
    return true;
  }
  // False: withdrawn from waiters_ under lock_ before step 2 took it; linked_ stays high until the
  // next recount, which no longer finds it.
  return self.block_until_or_withdraw(lock_, waiters_, *deadline);
}

bool barrier::arrival_completes_locked(std::size_t n) noexcept {
  WEFT_CHECK(expected_ > 0, "weft::barrier: an arrival after every party has dropped out");
  if (completing_) return false;  // the party completing the last phase checks this one (step 4)
  return reaches_expected_locked(n);
}

bool barrier::reaches_expected_locked(std::size_t n) noexcept {
  if (expected_ == 0) return false;                      // every party dropped out: no more phases
  if (arrived_ + linked_ + n < expected_) return false;  // linked_ is an upper bound
  linked_ = recount_waiters_locked();
  std::size_t total = arrived_ + linked_ + n;
  WEFT_CHECK(total <= expected_, "weft::barrier: {} arrivals in a phase that expects {}", total,
             expected_);
  return total == expected_;
}

std::size_t barrier::recount_waiters_locked() noexcept {
  // waiter_list cannot be walked from outside: take the waiters out and put them back in the same
  // order. Nobody sees the list in between: lock_ is held.
  std::size_t count = 0;
  waiter* w = waiters_.take_all();
  while (w != nullptr) {
    waiter* next = w->next;  // push_back clears it
    waiters_.push_back(w);
    w = next;
    ++count;
  }
  return count;
}

void barrier::complete_phase(std::unique_lock<detail::spin_lock>& guard) noexcept {
  completing_ = true;
  waiter* released = nullptr;
  waiter** tail = &released;
  do {
    // Step 2: the phase is decided; every waiter in it has passed.
    *tail = waiters_.take_all();
    while (*tail != nullptr)
      tail = &(*tail)->next;
    expected_ -= dropped_;
    arrived_ = linked_ = dropped_ = 0;
    ++phase_;
    // Step 3.
    guard.unlock();
    run_completion();
    // Step 4.
    guard.lock();
  } while (reaches_expected_locked(0));
  completing_ = false;
  guard.unlock();
  waiter::wake_chain(released);  // step 5: the barrier may be gone from the first wake on
}

void barrier::run_completion() noexcept {
  if (!on_phase_complete_) return;
  try {
    on_phase_complete_();
  } catch (const std::exception& e) {
    detail::fatal("weft::barrier: the completion function threw: {}", e.what());
  } catch (...) {
    detail::fatal("weft::barrier: the completion function threw a non-standard exception");
  }
}

}  // namespace weft

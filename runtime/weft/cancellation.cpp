#include <weft/cancellation.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

bool suspend_until_cancelled::suspend(std::stop_token token, std::coroutine_handle<> waiting) {
  WEFT_CHECK(token.stop_possible(),
             "suspend_until_cancelled awaited by a coroutine that can never be cancelled: it would "
             "never resume (give it a stop token: task_scope, when_any, with_stop_token)");
  resume_.handle = waiting;
  home_ = current_executor();
  callback_.emplace(std::move(token), on_stop_fn{this});  // may run on_stop() right here
  state expected = state::registering;
  return state_.compare_exchange_strong(expected, state::suspended, std::memory_order_acq_rel);
}

void suspend_until_cancelled::on_stop() noexcept {
  if (state_.exchange(state::stopped, std::memory_order_acq_rel) == state::suspended)
    resume_on(home_, resume_);
}

void suspend_until_cancelled::await_resume() {
  // Destroying the callback waits for on_stop() to return if it is still running on another thread.
  callback_.reset();
  throw operation_cancelled{};
}

}  // namespace weft

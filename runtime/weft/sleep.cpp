#include <weft/sleep.hpp>

#include <weft/detail/fatal.hpp>

namespace weft {

io_loop* sleep_awaiter::current_loop_or_abort() {
  io_loop* loop = io_loop::current();
  WEFT_CHECK(loop != nullptr, "weft::sleep awaited outside a loop thread");
  return loop;
}

void sleep_awaiter::finish_early() noexcept {
  loop().remove_timer(this);
  complete(-ECANCELED);
}

void sleep_awaiter::await_resume() {
  if (stopped_before_start_) throw operation_cancelled{};
  if (disarm() && result_ == -ECANCELED) throw operation_cancelled{};
}

sleep_awaiter sleep_for(io_loop::clock::duration duration) {
  io_loop* loop = io_loop::current();
  WEFT_CHECK(loop != nullptr, "weft::sleep_for awaited outside a loop thread");
  return sleep_awaiter{loop->now() + duration};
}

}  // namespace weft

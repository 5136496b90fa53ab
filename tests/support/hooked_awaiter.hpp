// tests/support/hooked_awaiter.hpp — act, deterministically on one thread, in the windows where
// another thread could act during a co_await.
#pragma once

#include <coroutine>

namespace weft::test {

/// Wraps an awaiter: `between` runs after await_ready() said "must wait" and before
/// await_suspend() (another party makes the operation possible); `after` runs when
/// await_suspend() completed the operation without suspending, before await_resume() (another
/// party requests stop, say).
template <class Awaiter, class Between, class After>
struct hooked {
  Awaiter inner;
  Between between;
  After after;
  bool await_ready() {
    if (inner.await_ready()) return true;
    between();
    return false;
  }
  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> waiting) {
    bool suspended = inner.await_suspend(waiting);
    if (!suspended) after();
    return suspended;
  }
  decltype(auto) await_resume() { return inner.await_resume(); }
};
template <class Awaiter, class Between, class After>
hooked(Awaiter, Between, After) -> hooked<Awaiter, Between, After>;

}  // namespace weft::test

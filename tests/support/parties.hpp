// tests/support/parties.hpp — the three kinds of party weft's primitives connect: a coroutine on
// the loop, a coroutine on the pool, and a plain thread.
//
// `arena` runs an io_loop on a thread of its own and a pool of two workers. `as(kind, body)` runs
// `body` (a function returning task<bool>) as that kind of party on a new plain thread: for the
// coroutine kinds the task first moves to the loop or the pool, so its waits and wake-ups happen
// there. The bool the body returns, plus whether it finished where it should, is the result.
#pragma once

#include <weft/io_loop.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace weft::test {

enum class party { loop_coroutine, pool_coroutine, plain_thread };

inline std::string to_string(party p) {
  switch (p) {
    case party::loop_coroutine:
      return "loop coroutine";
    case party::pool_coroutine:
      return "pool coroutine";
    case party::plain_thread:
      return "plain thread";
  }
  return "?";
}

class arena {
 public:
  arena() {
    loop_thread_ = std::thread{[this] {
      try {
        loop_.run([](std::promise<void>* up) -> task<void> {
          up->set_value();
          co_await weft::suspend_until_cancelled{};
        }(&loop_up_));
      } catch (const weft::operation_cancelled&) {
        // stopped by the destructor
      }
    }};
    loop_up_.get_future().wait();
  }
  ~arena() {
    for (auto& t : parties_)
      t.join();
    loop_.stop();
    loop_thread_.join();
  }

  weft::io_loop& loop() noexcept { return loop_; }
  weft::thread_pool& pool() noexcept { return pool_; }

  /// Runs `body()` as party `kind`; the future says whether it returned true on its home.
  std::future<bool> as(party kind, std::function<task<bool>()> body) {
    std::promise<bool> result;
    auto future = result.get_future();
    parties_.emplace_back(
        [this, kind, body = std::move(body), result = std::move(result)]() mutable {
          try {
            if (kind == party::plain_thread) {
              result.set_value(weft::sync_wait(body()));
            } else {
              result.set_value(weft::sync_wait(on_home(kind, body)));
            }
          } catch (...) {
            result.set_exception(std::current_exception());
          }
        });
    return future;
  }

  /// True when the calling coroutine runs where a party of `kind` belongs.
  bool at_home(party kind) const noexcept {
    switch (kind) {
      case party::loop_coroutine:
        return weft::io_loop::current() == &loop_;
      case party::pool_coroutine:
        return weft::thread_pool::current() == &pool_;
      case party::plain_thread:
        return weft::io_loop::current() == nullptr && weft::thread_pool::current() == nullptr;
    }
    return false;
  }

 private:
  task<bool> on_home(party kind, std::function<task<bool>()> body) {
    if (kind == party::loop_coroutine)
      co_await loop_.schedule();
    else
      co_await pool_.schedule();
    bool ok = co_await body();
    co_return ok&& at_home(kind);
  }

  weft::io_loop loop_;
  weft::thread_pool pool_{[] {
    weft::thread_pool::options options;
    options.workers = 2;
    return options;
  }()};
  std::promise<void> loop_up_;
  std::thread loop_thread_;
  std::vector<std::thread> parties_;
};

}  // namespace weft::test

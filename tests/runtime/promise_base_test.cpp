// Tests of the stop watching in weft/detail/promise_base.hpp (watch_stop / unwatch_stop): one
// forwarding stop callback per coroutine, registered at its first watched wait, delivering a stop
// request to whatever the coroutine waits on at that moment — a primitive's waiter
// (sync/weft/detail/stoppable_waiter.hpp) or a loop operation (runtime/weft/detail/loop_wait.hpp).
#include <weft/cancellation.hpp>
#include <weft/channel.hpp>
#include <weft/event.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task_scope.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/thread_pool.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;
using weft::task;

namespace {

// Waits on `first` (which some other party sets), then, after stop was requested while it ran,
// on `second`, which nobody sets: 1 when the second wait ends with operation_cancelled.
task<void> wait_twice(weft::event* first, weft::event* second, std::stop_source* stop, int* out) {
  co_await first->wait();  // a watched wait: registers the forwarding callback
  stop->request_stop();    // nothing is watched now: the request reaches no target
  try {
    co_await second->wait();
    *out = 2;
  } catch (const weft::operation_cancelled&) {
    *out = 1;
  }
}

}  // namespace

TEST_CASE("a stop requested between two waits cancels the second at once",
          "[promise_base][stop_watch]") {
  weft::testing::stepped_scheduler scheduler;
  weft::event first;
  weft::event second;
  std::stop_source stop;
  int outcome = 0;
  auto waiter = scheduler.start(wait_twice(&first, &second, &stop, &outcome), stop.get_token());
  scheduler.run_until_idle();
  REQUIRE(outcome == 0);  // waiting on `first`
  first.set();
  scheduler.run_until_idle();
  CHECK(outcome == 1);
}

TEST_CASE("a coroutine that waits many times gets the stop request during the wait it is in",
          "[promise_base][stop_watch]") {
  weft::testing::stepped_scheduler scheduler;
  weft::channel<int> ch{0};
  std::stop_source stop;
  int received = 0;
  bool cancelled = false;
  auto consumer = scheduler.start(
      [](weft::channel<int>* c, int* count, bool* was_cancelled) -> task<void> {
        try {
          while (co_await c->recv())
            ++*count;
        } catch (const weft::operation_cancelled&) {
          *was_cancelled = true;
        }
      }(&ch, &received, &cancelled),
      stop.get_token());
  for (int i = 0; i < 100; ++i) {
    scheduler.run_until_idle();
    REQUIRE(ch.try_send(i));  // the consumer waits in recv, so a rendezvous send succeeds
  }
  scheduler.run_until_idle();
  stop.request_stop();
  scheduler.run_until_idle();
  CHECK(received == 100);
  CHECK(cancelled);
  int leftover = 7;
  CHECK_FALSE(ch.try_send(leftover));  // nobody waits any more: the withdrawn wait is unlinked
}

TEST_CASE("a loop sleep after a stop request between waits ends at once with operation_cancelled",
          "[promise_base][stop_watch]") {
  weft::io_loop loop;
  bool cancelled = false;
  loop.run([](bool* was_cancelled) -> task<void> {
    std::stop_source stop;
    co_await weft::with_stop_token(
        [](std::stop_source* s, bool* out) -> task<void> {
          co_await weft::sleep_for(1ms);  // a watched loop wait: registers the forwarder
          s->request_stop();
          try {
            co_await weft::sleep_for(1h);
          } catch (const weft::operation_cancelled&) {
            *out = true;
          }
        }(&stop, was_cancelled),
        stop.get_token());
  }(&cancelled));
  CHECK(cancelled);  // and at once: were the hour-long sleep not cancelled, the test would time out
}

TEST_CASE("a stop delivered to a coroutine with no executor resumes it inline and ends cleanly",
          "[promise_base][stop_watch]") {
  // With no executor on this thread, the scope runs its child inline, and the waker resumes a
  // woken coroutine inline too — here from inside the stop request's own delivery, which must
  // neither wait for itself nor touch the coroutine's promise once the coroutine has finished.
  weft::event never_set;
  int cancelled = 0;
  std::stop_source stop;
  weft::task_scope scope{"by hand", stop.get_token()};
  scope.spawn([](weft::event* ev, int* out) -> task<void> {
    try {
      co_await ev->wait();
    } catch (const weft::operation_cancelled&) {
      ++*out;
    }
  }(&never_set, &cancelled));
  REQUIRE(cancelled == 0);  // suspended in the wait
  stop.request_stop();
  CHECK(cancelled == 1);
  weft::sync_wait([](weft::task_scope* s) -> task<void> { co_await s->join(); }(&scope));
}

TEST_CASE("stop requests from another thread reach every wait of a busy coroutine exactly once",
          "[promise_base][stop_watch][stress]") {
  // A loop coroutine alternates watched waits (channel receives fed by a plain thread) with
  // running; a third thread requests stop at a random moment. Whatever the timing, the coroutine
  // ends with operation_cancelled or end of stream, and every value is received or still queued.
  for (int round = 0; round < 50; ++round) {
    weft::io_loop loop;
    weft::channel<int> ch{4};
    std::stop_source stop;
    std::atomic<int> sent{0};
    int received = 0;
    std::thread feeder{[&] {
      for (int i = 0; i < 200; ++i) {
        if (!ch.blocking_send(i)) return;
        sent.fetch_add(1);
      }
    }};
    std::thread stopper{[&] {
      std::this_thread::sleep_for(std::chrono::microseconds(round * 20));
      stop.request_stop();
    }};
    loop.run(weft::with_stop_token(
        [](weft::channel<int>* c, int* count) -> task<void> {
          try {
            while (co_await c->recv())
              ++*count;
          } catch (const weft::operation_cancelled&) {
          }
        }(&ch, &received),
        stop.get_token()));
    stopper.join();
    ch.close();
    feeder.join();
    int queued = 0;
    while (ch.try_recv())
      ++queued;
    CHECK(received + queued == sent.load());
  }
}

TEST_CASE("one stop request from a plain thread ends every wait of many loop and pool coroutines",
          "[promise_base][stop_watch][stress]") {
  // One token, 500 coroutines on a loop and 500 on a pool, all waiting on events nobody sets:
  // request_stop calls 1000 forwarders in a row on the requesting thread, which fence once for
  // all of them (promise_base.cpp) — every one of them must still get the request.
  for (int round = 0; round < 5; ++round) {
    weft::thread_pool::options options;
    options.workers = 2;
    weft::thread_pool pool{options};
    weft::io_loop loop;
    std::stop_source stop;
    weft::event never;
    std::atomic<int> cancelled{0};
    std::atomic<int> waiting{0};
    auto waiter = [](weft::event* e, std::atomic<int>* w, std::atomic<int>* c) -> task<void> {
      w->fetch_add(1);
      try {
        co_await e->wait();
      } catch (const weft::operation_cancelled&) {
        c->fetch_add(1);
      }
    };
    std::thread stopper{[&] {
      while (waiting.load() < 1000)
        std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::microseconds(round * 100));
      stop.request_stop();
    }};
    loop.run(weft::with_stop_token(
        [](weft::thread_pool* p, weft::event* e, std::atomic<int>* w, std::atomic<int>* c,
           auto make) -> task<void> {
          weft::task_scope scope{"waiters"};
          for (int i = 0; i < 500; ++i) {
            scope.spawn(make(e, w, c));
            scope.spawn(p->spawn(make(e, w, c)));
          }
          co_await scope.join();
        }(&pool, &never, &waiting, &cancelled, waiter),
        stop.get_token()));
    stopper.join();
    CHECK(cancelled.load() == 1000);
  }
}

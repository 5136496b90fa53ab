#include <weft/barrier.hpp>
#include <weft/sync_wait.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/timeout.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <coroutine>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "../support/death_test.hpp"
#include "../support/parties.hpp"

#include "../support/hooked_awaiter.hpp"

using namespace std::chrono_literals;
using weft::task;
using weft::test::party;

namespace {

/// Arrives at `b` and waits the way a party of `kind` does.
task<void> arrive_and_wait_as(party kind, weft::barrier* b) {
  if (kind == party::plain_thread)
    b->blocking_arrive_and_wait();
  else
    co_await b->arrive_and_wait();
}

task<void> arrive_and_wait(weft::barrier* b) {
  co_await b->arrive_and_wait();
}

using weft::test::hooked;

}  // namespace

TEST_CASE("a phase completed by any party releases a waiter of any party on its own home",
          "[barrier]") {
  const party waiter_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  const party last_kind =
      GENERATE(party::loop_coroutine, party::pool_coroutine, party::plain_thread);
  CAPTURE(to_string(waiter_kind), to_string(last_kind));
  weft::test::arena arena;
  std::atomic<int> completions{0};
  weft::barrier b{2, [&] { completions.fetch_add(1); }};
  auto waited = arena.as(waiter_kind, [&]() -> task<bool> {
    co_await arrive_and_wait_as(waiter_kind, &b);
    co_return completions.load() == 1;  // released only after the completion ran
  });
  std::this_thread::sleep_for(5ms);  // usually lets the waiter block first (either order is valid)
  CHECK(completions.load() == 0);
  auto last = arena.as(last_kind, [&]() -> task<bool> {
    co_await arrive_and_wait_as(last_kind, &b);
    co_return completions.load() == 1;
  });
  CHECK(last.get());
  CHECK(waited.get());  // resumed, and on its own home (checked by the arena)
  CHECK(b.phase() == 1);
}

TEST_CASE(
    "the last arrival runs the completion inline and waiters resume after it on their "
    "executor",
    "[barrier][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  std::string log;
  weft::barrier b{3, [&] { log += '|'; }};
  auto party_body = [](weft::barrier* bar, std::string* out, char name) -> task<void> {
    *out += name;
    co_await bar->arrive_and_wait();
    *out += static_cast<char>(name - 'a' + 'A');
  };
  auto first = scheduler.start(party_body(&b, &log, 'a'));
  auto second = scheduler.start(party_body(&b, &log, 'b'));
  auto last = scheduler.start(party_body(&b, &log, 'c'));
  scheduler.step(0);  // a arrives and waits
  scheduler.step(0);  // b arrives and waits
  CHECK(log == "ab");
  CHECK_FALSE(first.done());
  CHECK(scheduler.ready() == 1);
  CHECK(b.phase() == 0);
  scheduler.step(0);  // c arrives last: completes the phase without suspending
  CHECK(log == "abc|C");
  CHECK(last.done());
  CHECK(b.phase() == 1);
  CHECK(scheduler.ready() == 2);  // a and b were enqueued on their executor, not run inline
  scheduler.step(1);              // b's wake-up is second: woken in arrival order
  scheduler.step(0);
  CHECK(log == "abc|CBA");
  CHECK(first.done());
  CHECK(second.done());
}

TEST_CASE("a barrier is reused phase after phase and each completion sees all of its phase",
          "[barrier][stepped]") {
  constexpr int parties = 3;
  constexpr int phases = 5;
  struct shared_state {
    std::vector<int> arrivals = std::vector<int>(phases + 1, 0);  // per phase
    int completions = 0;
    bool completion_saw_its_phase = true;
    bool released_after_completion = true;
  };
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    CAPTURE(seed);
    weft::testing::stepped_scheduler scheduler;
    shared_state state;
    weft::barrier b{parties, [&] {
                      // Every party has arrived in this phase, and none in the next.
                      int p = state.completions;
                      state.completion_saw_its_phase = state.completion_saw_its_phase &&
                                                       state.arrivals[p] == parties &&
                                                       state.arrivals[p + 1] == 0;
                      ++state.completions;
                    }};
    auto party_body = [](weft::barrier* bar, shared_state* s) -> task<void> {
      for (int p = 0; p < phases; ++p) {
        co_await weft::yield();  // other parties may run between phases
        ++s->arrivals[p];
        co_await bar->arrive_and_wait();
        s->released_after_completion = s->released_after_completion && s->completions == p + 1;
      }
    };
    std::vector<weft::testing::stepped_scheduler::handle<void>> handles;
    for (int i = 0; i < parties; ++i)
      handles.push_back(scheduler.start(party_body(&b, &state)));
    scheduler.run_until_idle_shuffled(seed);
    for (auto& h : handles)
      REQUIRE(h.done());
    CHECK(state.completions == phases);
    CHECK(b.phase() == phases);
    CHECK(state.completion_saw_its_phase);
    CHECK(state.released_after_completion);
  }
}

TEST_CASE("plain threads are released once per phase, each time after exactly one completion",
          "[barrier]") {
  constexpr int threads = 4;
  constexpr int phases = 200;
  long completions = 0;  // written only by the completion function: TSan checks the ordering
  weft::barrier b{threads, [&] { ++completions; }};
  std::atomic<int> wrong{0};
  std::vector<std::thread> parties;
  for (int t = 0; t < threads; ++t)
    parties.emplace_back([&] {
      for (int p = 0; p < phases; ++p) {
        b.blocking_arrive_and_wait();
        if (completions != p + 1) wrong.fetch_add(1);
      }
    });
  for (auto& t : parties)
    t.join();
  CHECK(wrong.load() == 0);
  CHECK(completions == phases);
  CHECK(b.phase() == phases);
}

TEST_CASE("a cancelled waiting arrival is withdrawn and the phase needs another arrival",
          "[barrier][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  int completions = 0;
  weft::barrier b{2, [&] { ++completions; }};
  std::stop_source stop;
  auto cancelled = scheduler.start(arrive_and_wait(&b), stop.get_token());
  scheduler.run_until_idle();
  REQUIRE_FALSE(cancelled.done());  // waiting
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(cancelled.done());
  CHECK_THROWS_AS(cancelled.get(), weft::operation_cancelled);
  auto second = scheduler.start(arrive_and_wait(&b));
  scheduler.run_until_idle();
  CHECK_FALSE(second.done());  // the withdrawn arrival does not count: one of two
  CHECK(b.phase() == 0);
  CHECK(completions == 0);
  auto third = scheduler.start(arrive_and_wait(&b));
  scheduler.run_until_idle();
  CHECK(second.done());
  CHECK(third.done());
  CHECK(b.phase() == 1);
  CHECK(completions == 1);
}

TEST_CASE("a stop request after the phase completed leaves the arrival passed",
          "[barrier][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  weft::barrier b{2};
  std::stop_source stop;
  auto first = scheduler.start(arrive_and_wait(&b), stop.get_token());
  scheduler.run_until_idle();
  auto second = scheduler.start(arrive_and_wait(&b));
  scheduler.step();  // second completes the phase; first is woken but has not run yet
  REQUIRE(second.done());
  REQUIRE(scheduler.ready() == 1);
  stop.request_stop();
  scheduler.run_until_idle();
  REQUIRE(first.done());
  CHECK_NOTHROW(first.get());
  CHECK(b.phase() == 1);
}

TEST_CASE("a stop request just after an arrival completed the phase does not cancel it",
          "[barrier][stepped]") {
  // The other party arrives just before this one registers (as another thread could), so this
  // arrival completes the phase without suspending; a stop request then comes before co_await
  // returns. The phase completed first: co_await must return normally.
  weft::testing::stepped_scheduler scheduler;
  weft::barrier b{2};
  std::stop_source stop;
  bool passed = false;
  bool cancelled = false;
  auto last = scheduler.start(
      [](weft::barrier* bar, std::stop_source* source, bool* ok, bool* stopped) -> task<void> {
        auto arrival = hooked{bar->arrive_and_wait(), [bar] { bar->arrive(); },
                              [source] { source->request_stop(); }};
        try {
          co_await arrival;
          *ok = true;
        } catch (const weft::operation_cancelled&) {
          *stopped = true;
        }
      }(&b, &stop, &passed, &cancelled),
      stop.get_token());
  scheduler.run_until_idle();
  REQUIRE(last.done());
  REQUIRE(stop.stop_requested());  // the stop request did come
  CHECK(passed);
  CHECK_FALSE(cancelled);
  CHECK(b.phase() == 1);
}

TEST_CASE("a coroutine whose stop was requested before it arrives makes no arrival",
          "[barrier][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  int completions = 0;
  weft::barrier b{1, [&] { ++completions; }};  // any arrival would complete the phase
  std::stop_source stop;
  stop.request_stop();
  auto stopped = scheduler.start(arrive_and_wait(&b), stop.get_token());
  scheduler.run_until_idle();
  REQUIRE(stopped.done());
  CHECK_THROWS_AS(stopped.get(), weft::operation_cancelled);
  CHECK(b.phase() == 0);
  CHECK(completions == 0);
}

TEST_CASE("a timed-out blocking arrival reports false and is withdrawn", "[barrier]") {
  weft::barrier b{2};
  CHECK_FALSE(b.blocking_arrive_and_wait_for(5ms));
  CHECK(b.phase() == 0);
  b.arrive();  // had the timed-out arrival counted, this would complete the phase
  CHECK(b.phase() == 0);
  CHECK(b.blocking_arrive_and_wait_for(10s));  // the second arrival: completes without waiting
  CHECK(b.phase() == 1);
  std::thread other{[&] {
    std::this_thread::sleep_for(5ms);
    b.arrive();
  }};
  CHECK(b.blocking_arrive_and_wait_for(10s));  // woken by the other thread's arrival
  other.join();
  CHECK(b.phase() == 2);
}

TEST_CASE("a coroutine's arrival that times out is withdrawn", "[barrier]") {
  const party waiter_kind = GENERATE(party::loop_coroutine, party::pool_coroutine);
  CAPTURE(to_string(waiter_kind));
  weft::test::arena arena;
  weft::barrier b{2};
  auto waited = arena.as(waiter_kind, [&]() -> task<bool> {
    bool passed = co_await weft::within([&] { return b.arrive_and_wait(); }, 10ms);
    co_return !passed;
  });
  CHECK(waited.get());
  b.arrive();  // had the timed-out arrival counted, this would complete the phase
  CHECK(b.phase() == 0);
  b.arrive();
  CHECK(b.phase() == 1);
}

TEST_CASE("arrive counts without waiting and arrive_and_drop lowers the count of later phases",
          "[barrier][stepped]") {
  weft::testing::stepped_scheduler scheduler;
  int completions = 0;
  weft::barrier b{3, [&] { ++completions; }};
  auto waiter = scheduler.start([](weft::barrier* bar) -> task<void> {
    co_await bar->arrive_and_wait();  // phase 0: with arrive() and arrive_and_drop()
    co_await bar->arrive_and_wait();  // phase 1: two parties left
  }(&b));
  scheduler.run_until_idle();
  b.arrive();
  CHECK(b.phase() == 0);
  CHECK_FALSE(waiter.done());
  b.arrive_and_drop();  // the third arrival of phase 0
  CHECK(b.phase() == 1);
  CHECK(completions == 1);
  scheduler.run_until_idle();  // the waiter passes phase 0 and waits in phase 1
  CHECK_FALSE(waiter.done());
  b.arrive();  // phase 1 expects two arrivals now
  CHECK(b.phase() == 2);
  scheduler.run_until_idle();
  CHECK(waiter.done());
  CHECK(completions == 2);
}

TEST_CASE("arrivals made while a completion runs count for the next phase, completed after it",
          "[barrier]") {
  // Two parties that only arrive(). Thread A completes phase 0; while A runs its completion, this
  // thread arrives twice, which completes phase 1 by count. Phase 1's completion must then run
  // after phase 0's (never overlapping it), once, on A.
  std::atomic<bool> in_completion{false};
  std::atomic<bool> overlapped{false};
  std::atomic<int> completions{0};
  std::atomic<bool> phase_0_completing{false};
  std::atomic<bool> arrived_twice{false};
  std::thread::id phase_1_completed_on;
  std::thread::id a_id;
  weft::barrier b{2, [&] {
                    if (in_completion.exchange(true)) overlapped = true;
                    if (completions.load() == 0) {
                      phase_0_completing = true;
                      while (!arrived_twice.load())
                        std::this_thread::yield();
                    } else {
                      phase_1_completed_on = std::this_thread::get_id();
                    }
                    completions.fetch_add(1);
                    in_completion = false;
                  }};
  b.arrive();
  std::thread a{[&] { b.arrive(); }};  // completes phase 0
  a_id = a.get_id();
  while (!phase_0_completing.load())
    std::this_thread::yield();
  b.arrive();
  b.arrive();  // neither waits nor runs a completion: one is running
  CHECK(completions.load() == 0);
  arrived_twice = true;
  a.join();
  CHECK_FALSE(overlapped.load());
  CHECK(completions.load() == 2);
  CHECK(phase_1_completed_on == a_id);
  CHECK(b.phase() == 2);
}

TEST_CASE("more arrivals than a phase expects abort with a message", "[barrier][death]") {
  auto death = weft::test::run_in_child([] {
    weft::barrier b{2};
    b.arrive(3);
  });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("3 arrivals in a phase that expects 2"));
  auto dropped = weft::test::run_in_child([] {
    weft::barrier b{1};
    b.arrive_and_drop();  // completes phase 0; no party is left
    b.arrive();
  });
  CHECK(dropped.signal == SIGABRT);
  CHECK_THAT(dropped.stderr_text, Catch::Contains("every party has dropped out"));
}

TEST_CASE("threads, pool coroutines and loop coroutines pass a thousand phases together",
          "[barrier][stress]") {
  constexpr int phases = 1000;
  const std::vector<party> kinds{party::plain_thread,   party::plain_thread,
                                 party::pool_coroutine, party::pool_coroutine,
                                 party::loop_coroutine, party::loop_coroutine};
  const int parties = static_cast<int>(kinds.size());
  weft::test::arena arena;
  std::vector<int> slots(kinds.size(), -1);  // each party writes its own; read by the completion
  int completions = 0;                       // written only by the completion function
  bool slots_complete = true;
  weft::barrier b{kinds.size(), [&] {
                    for (int s : slots)
                      slots_complete = slots_complete && s == completions;
                    ++completions;
                  }};
  std::vector<std::future<bool>> results;
  for (int i = 0; i < parties; ++i)
    results.push_back(arena.as(kinds[i], [&, i]() -> task<bool> {
      const party kind = kinds[i];
      bool ok = true;
      for (int p = 0; p < phases; ++p) {
        slots[i] = p;
        if (kind == party::plain_thread && i % 2 == 1) {
          bool passed = b.blocking_arrive_and_wait_for(60s);
          ok = ok && passed;
        } else {
          co_await arrive_and_wait_as(kind, &b);
        }
        ok = ok && completions == p + 1;
        if (kind != party::plain_thread && p % 7 == 0) co_await weft::yield();
      }
      co_return ok;
    }));
  for (auto& r : results)
    CHECK(r.get());
  CHECK(completions == phases);
  CHECK(slots_complete);
  CHECK(b.phase() == phases);
}

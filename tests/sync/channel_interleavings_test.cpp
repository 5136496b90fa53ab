// Exhaustive interleaving tests: a small scenario of tasks on the stepped scheduler is run once for
// every sequence of choices of which ready item runs next, and its invariants are checked at the
// end of every run. A step runs one task until it next suspends, so the explored orders are all
// the orders of those steps (no partial-order reduction: orders that commute are run anyway).
//
// Granularity: a task that makes several operations yields between two of them, so that every
// other task can run in between; it does not yield before its first one. Its first step is already
// a choice of the explorer, so such a yield would only repeat the same orders (several times over:
// scenario (a) would explore 355k runs instead of 55k, with nothing new).
//
// Invariants (stated per scenario below) must hold in every run; the first run that breaks one
// stops the exploration and is reported with its schedule (the list of indices passed to step()).

#include <weft/cancellation.hpp>
#include <weft/channel.hpp>
#include <weft/event.hpp>
#include <weft/mutex.hpp>
#include <weft/testing/stepped_scheduler.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

using weft::task;
using weft::testing::stepped_scheduler;

namespace {

// ---------------------------------------------------------------------------------------------
// The explorer.

struct exploration {
  std::size_t runs = 0;               // complete runs of the scenario, one per interleaving
  std::size_t longest = 0;            // most steps in one run
  std::string failure;                // the first broken invariant, if any
  std::vector<std::size_t> schedule;  // ... and the step(i) choices that led to it
  double seconds = 0;
};

/// Runs `Scenario` from scratch for every sequence of scheduling choices, depth first.
///
/// A Scenario is constructed from `args...`, owns a `stepped_scheduler scheduler` with its tasks
/// started, and has `std::string finish()`, called once nothing is ready: it checks the invariants
/// (an empty string when they hold), then lets any task still waiting end, so that the scenario
/// can be destroyed. Runs are deterministic, so the number of ready items at each depth of a given
/// prefix is the same in every run; the explorer checks that too.
template <class Scenario, class... Args>
exploration explore(std::size_t max_runs, const Args&... args) {
  struct choice {
    std::size_t index;
    std::size_t options;
  };
  auto started = std::chrono::steady_clock::now();
  exploration result;
  std::vector<choice> path;  // the choices of the current run; a prefix is replayed
  for (;;) {
    std::string failure;
    std::size_t depth = 0;
    {
      Scenario run{args...};
      for (std::size_t ready; (ready = run.scheduler.ready()) != 0; ++depth) {
        if (depth == path.size()) {
          path.push_back({0, ready});
        } else if (path[depth].options != ready) {
          failure = fmt::format("not deterministic: {} ready at step {}, {} before", ready, depth,
                                path[depth].options);
          break;
        }
        run.scheduler.step(path[depth].index);
      }
      if (failure.empty() && depth != path.size())
        failure =
            fmt::format("not deterministic: idle after {} steps, {} before", depth, path.size());
      std::string broken = run.finish();
      if (failure.empty()) failure = std::move(broken);
    }
    ++result.runs;
    result.longest = std::max(result.longest, depth);
    if (failure.empty() && result.runs == max_runs)
      failure = fmt::format("more than {} interleavings: make the scenario smaller", max_runs);
    if (!failure.empty()) {
      result.failure = std::move(failure);
      for (const choice& c : path)
        result.schedule.push_back(c.index);
      break;
    }
    // Next sequence, depth first: advance the deepest choice that has an untried option.
    while (!path.empty() && path.back().index + 1 == path.back().options)
      path.pop_back();
    if (path.empty()) break;
    ++path.back().index;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

/// What the runs of one exploration ended in, tallied by a label each scenario chooses: the tests
/// check that every outcome the scenario can reach was reached, so the exploration is known to
/// cover the races it is about.
struct outcomes {
  std::map<std::string, std::size_t> seen;
  void note(const std::string& label) { ++seen[label]; }
  [[nodiscard]] std::size_t operator[](const std::string& label) const {
    auto found = seen.find(label);
    return found == seen.end() ? 0 : found->second;
  }
  [[nodiscard]] std::string summary() const {
    std::string text;
    for (const auto& [label, count] : seen)
      text += fmt::format("{}{}: {}", text.empty() ? "" : ", ", label, count);
    return text;
  }
};

/// Checks one exploration: every run kept the invariants, and there were at least `at_least` runs
/// (so that the exploration cannot silently collapse to one order).
void check_exploration(const exploration& result, std::size_t at_least) {
  INFO(fmt::format("{} interleavings, up to {} steps each, in {:.2f} s", result.runs,
                   result.longest, result.seconds));
  INFO("failing schedule (step indices): " << fmt::format("{}", result.schedule));
  CHECK(result.failure == "");
  CHECK(result.runs >= at_least);  // with -s, shows how much was explored (the INFO above)
}

template <class T>
std::string describe(const std::vector<T>& values) {
  return fmt::format("{}", values);
}

// ---------------------------------------------------------------------------------------------
// The explorer's own check: two tasks each read a counter, yield, and write it back plus one.
// Each task is two steps (start to the yield, then the rest), so there are exactly C(4, 2) = 6
// orders: in 2 the tasks run one after the other (the counter ends at 2), in the other 4 an update
// is lost (it ends at 1). `must_be` (0: anything) is the invariant checked.

template <int must_be>
struct unguarded_increments {
  stepped_scheduler scheduler;
  int counter = 0;
  std::vector<stepped_scheduler::handle<void>> tasks;

  static task<void> increment(unguarded_increments* s) {
    int read = s->counter;
    co_await weft::yield();
    s->counter = read + 1;
  }

  unguarded_increments() {
    tasks.push_back(scheduler.start(increment(this)));
    tasks.push_back(scheduler.start(increment(this)));
  }

  std::string finish() {
    if (!tasks[0].done() || !tasks[1].done()) return "a task never ended";
    if (must_be != 0 && counter != must_be) return fmt::format("counter is {}", counter);
    return {};
  }
};

/// Names the first task of `tasks` that has not finished, if any.
std::string unfinished(const std::vector<stepped_scheduler::handle<void>>& tasks,
                       const std::vector<const char*>& names) {
  for (std::size_t i = 0; i < tasks.size(); ++i)
    if (!tasks[i].done()) return fmt::format("{} never ended", names[i]);
  return {};
}

// ---------------------------------------------------------------------------------------------
// (a) Two senders of two values each, one receiver, and a close() by a third task.
//
// Invariants: every value whose send reported success is received exactly once; every value whose
// send reported closed is still with its sender, not moved from, and was not received; nothing
// else is received; each producer's values are received in the order it sent them; every task
// ends (the close releases everybody). Outcome: how many of the four values were handed back.

struct senders_receiver_close {
  using value = std::unique_ptr<int>;  // moved-from is visibly empty

  stepped_scheduler scheduler;
  weft::channel<value> channel;
  outcomes* tally;
  std::vector<int> delivered;     // sends that returned true
  std::vector<int> handed_back;   // sends that returned false, with the value still held
  std::vector<int> lost_on_fail;  // sends that returned false with the value gone (a bug)
  std::vector<int> moved_anyway;  // sends that returned true but left the value in place (a bug)
  std::vector<int> received;
  std::vector<stepped_scheduler::handle<void>> tasks;

  static task<void> sender(senders_receiver_close* s, int producer) {
    for (int k = 1; k <= 2; ++k) {
      if (k > 1) co_await weft::yield();  // between two operations
      int id = producer * 10 + k;
      value v = std::make_unique<int>(id);
      bool sent = co_await s->channel.send(v);
      if (sent) {
        s->delivered.push_back(id);
        if (v != nullptr) s->moved_anyway.push_back(id);
      } else if (v != nullptr && *v == id) {
        s->handed_back.push_back(id);
      } else {
        s->lost_on_fail.push_back(id);
      }
    }
  }

  static task<void> receiver(senders_receiver_close* s) {
    for (bool first = true;; first = false) {
      if (!first) co_await weft::yield();  // between two operations
      std::optional<value> v = co_await s->channel.recv();
      if (!v) break;
      s->received.push_back(*v ? **v : -1);
    }
  }

  static task<void> closer(senders_receiver_close* s) {
    s->channel.close();
    co_return;
  }

  senders_receiver_close(std::size_t capacity, outcomes* outcome_tally)
      : channel(capacity), tally(outcome_tally) {
    tasks.push_back(scheduler.start(sender(this, 1)));
    tasks.push_back(scheduler.start(sender(this, 2)));
    tasks.push_back(scheduler.start(receiver(this)));
    tasks.push_back(scheduler.start(closer(this)));
  }

  std::string finish() {
    std::string broken = unfinished(tasks, {"sender 1", "sender 2", "the receiver", "the closer"});
    if (broken.empty()) broken = check();
    tally->note(fmt::format("{} handed back", handed_back.size()));
    // Unstick anything still waiting (only after a broken invariant) so the channel can go.
    channel.close();
    scheduler.run_until_idle();
    return broken;
  }

  std::string check() const {
    if (!lost_on_fail.empty()) return "a failed send lost its value: " + describe(lost_on_fail);
    if (!moved_anyway.empty())
      return "a successful send left its value in place: " + describe(moved_anyway);
    std::vector<int> got = received;
    std::vector<int> sent = delivered;
    std::sort(got.begin(), got.end());
    std::sort(sent.begin(), sent.end());
    if (got != sent)
      return fmt::format("received {} but delivered {}", describe(received), describe(delivered));
    if (delivered.size() + handed_back.size() != 4)
      return fmt::format("delivered {} and handed back {}: not the four values sent",
                         describe(delivered), describe(handed_back));
    for (int id : handed_back)
      if (std::find(received.begin(), received.end(), id) != received.end())
        return fmt::format("{} was handed back and received", id);
    for (int producer : {1, 2}) {
      int last = 0;
      for (int id : received)
        if (id / 10 == producer) {
          if (id < last) return "out of order for a producer: " + describe(received);
          last = id;
        }
    }
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// (b) A receive cancelled by a stop request (requested by a task) racing a send of one value, and
// a close() by another task.
//
// Invariants: the value ends in exactly one place — taken by the receiver, still in the channel
// (buffered, or with the sender still waiting), or handed back by a send that failed — never lost,
// never in two places. A cancelled receive returns nothing; a receive returns an empty optional
// only once the channel is closed; a send reports success exactly when the value was received or
// is in the channel. Outcomes: where the value ended, and how the receive ended (cancelled, a
// value, a value although the stop was already requested when it resumed, closed).

struct cancelled_recv_vs_send {
  using value = std::unique_ptr<int>;
  static constexpr int id = 7;

  stepped_scheduler scheduler;
  weft::channel<value> channel;
  outcomes* tally;
  std::stop_source stop;
  value to_send = std::make_unique<int>(id);
  bool closed = false;
  std::optional<bool> send_result;
  bool recv_returned = false;
  std::optional<value> received;  // what the cancellable recv returned, if it returned
  bool recv_cancelled = false;
  bool stop_requested_at_resume = false;
  bool closed_at_resume = false;
  std::vector<stepped_scheduler::handle<void>> tasks;

  static task<void> receiver(cancelled_recv_vs_send* s) {
    try {
      std::optional<value> v = co_await s->channel.recv();
      s->recv_returned = true;
      s->received = std::move(v);
      s->stop_requested_at_resume = s->stop.stop_requested();
      s->closed_at_resume = s->closed;
    } catch (const weft::operation_cancelled&) {
      s->recv_cancelled = true;
    }
  }

  static task<void> sender(cancelled_recv_vs_send* s) {
    bool sent = co_await s->channel.send(s->to_send);
    s->send_result = sent;
  }

  static task<void> canceller(cancelled_recv_vs_send* s) {
    s->stop.request_stop();  // the stop callback runs here, on this task's step
    co_return;
  }

  static task<void> closer(cancelled_recv_vs_send* s) {
    s->closed = true;
    s->channel.close();
    co_return;
  }

  cancelled_recv_vs_send(std::size_t capacity, outcomes* outcome_tally)
      : channel(capacity), tally(outcome_tally) {
    tasks.push_back(scheduler.start(receiver(this), stop.get_token()));
    tasks.push_back(scheduler.start(sender(this)));
    tasks.push_back(scheduler.start(canceller(this)));
    tasks.push_back(scheduler.start(closer(this)));
  }

  std::string finish() {
    std::string broken =
        unfinished(tasks, {"the receiver", "the sender", "the canceller", "the closer"});
    // Whatever is still in the channel: a buffered value (the close keeps it receivable).
    std::optional<value> left = channel.try_recv();
    scheduler.run_until_idle();
    if (!broken.empty()) return broken;
    std::string where;
    int places = 0;
    auto count = [&](bool here, const char* name) {
      if (!here) return;
      ++places;
      where += fmt::format("{}{}", where.empty() ? "" : " and ", name);
    };
    bool by_receiver = received && *received && **received == id;
    bool in_channel = left && *left && **left == id;
    bool with_sender = to_send != nullptr && *to_send == id;
    count(by_receiver, "received");
    count(in_channel, "left in the channel");
    count(with_sender, "handed back");
    if (places != 1)
      return fmt::format("the value is in {} places{}{}", places, places ? ": " : "", where);
    tally->note(where);
    if (recv_cancelled == recv_returned)
      return recv_cancelled ? "the receive returned and was cancelled"
                            : "the receive neither returned nor was cancelled";
    if (received && !by_receiver) return "the receive returned something else than the value";
    if (recv_returned && !received && !closed_at_resume)
      return "the receive returned an empty optional before the close";
    if (*send_result != (by_receiver || in_channel))
      return fmt::format("the send reported {} but the value was {}", *send_result, where);
    if (recv_cancelled)
      tally->note("receive cancelled");
    else if (!received)
      tally->note("receive found the channel closed");
    else if (stop_requested_at_resume)
      tally->note("receive returned the value although the stop came first");
    else
      tally->note("receive returned the value");
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// (c) weft::mutex with three lockers, the first two taking it twice, the third once; the second
// one is cancelled by a task. (All three twice: 127k orders, ~10 s under ASan; this: 12k.)
//
// Invariants: never two holders at once; the mutex goes to the lock() calls in the order they
// were made, skipping the cancelled one (FIFO hand-off, no barging); only the locker with a stop
// request is ever cancelled; every locker ends; nothing holds the mutex at the end (a cancelled
// waiter holds nothing). Outcomes: which lock() of locker 2, if any, was cancelled.

struct three_lockers_one_cancelled {
  stepped_scheduler scheduler;
  weft::mutex mutex;
  outcomes* tally;
  std::stop_source stop;
  int holders = 0;
  bool overlapped = false;
  // A lock() call is named 10 * locker + round.
  std::vector<int> tried;     // in the order they were made (the try and the queueing are one step)
  std::vector<int> acquired;  // in the order the mutex went to them
  std::vector<int> cancelled;
  std::vector<stepped_scheduler::handle<void>> tasks;

  static task<void> locker(three_lockers_one_cancelled* s, int id, int rounds) {
    for (int round = 1; round <= rounds; ++round) {
      // Between two operations. The unlock() before it has already handed the mutex to the
      // longest waiter, so this lock() — run before that waiter resumes, in some orders — must
      // queue, not barge in.
      if (round > 1) co_await weft::yield();
      int call = 10 * id + round;
      s->tried.push_back(call);
      try {
        co_await s->mutex.lock();
      } catch (const weft::operation_cancelled&) {
        s->cancelled.push_back(call);
        co_return;
      }
      if (++s->holders != 1) s->overlapped = true;
      s->acquired.push_back(call);
      co_await weft::yield();  // holds it across a step: others run meanwhile
      --s->holders;
      s->mutex.unlock();
    }
  }

  static task<void> canceller(three_lockers_one_cancelled* s) {
    s->stop.request_stop();
    co_return;
  }

  explicit three_lockers_one_cancelled(outcomes* outcome_tally) : tally(outcome_tally) {
    tasks.push_back(scheduler.start(locker(this, 1, 2)));
    tasks.push_back(scheduler.start(locker(this, 2, 2), stop.get_token()));
    tasks.push_back(scheduler.start(locker(this, 3, 1)));
    tasks.push_back(scheduler.start(canceller(this)));
  }

  std::string finish() {
    std::string broken = unfinished(tasks, {"locker 1", "locker 2", "locker 3", "the canceller"});
    if (broken.empty()) broken = check();
    if (!broken.empty()) {
      // Let everyone end so that the mutex can be destroyed: unlocking a held, orphaned mutex
      // hands it on, until nobody is left.
      for (int i = 0; i < 8 && !mutex.try_lock(); ++i) {
        mutex.unlock();
        scheduler.run_until_idle();
      }
      mutex.unlock();
    }
    scheduler.run_until_idle();
    if (broken.empty())
      tally->note(cancelled.empty() ? "locker 2 never cancelled"
                                    : fmt::format("lock() {} cancelled", cancelled.front()));
    return broken;
  }

  std::string check() {
    if (overlapped) return "two holders at once";
    for (int call : cancelled)
      if (call / 10 != 2)
        return fmt::format("lock() {} was cancelled without a stop request", call);
    std::vector<int> expected_order;
    for (int call : tried)
      if (std::find(cancelled.begin(), cancelled.end(), call) == cancelled.end())
        expected_order.push_back(call);
    if (acquired != expected_order)
      return fmt::format("lock() calls made in order {} (cancelled {}) but served in order {}",
                         describe(tried), describe(cancelled), describe(acquired));
    if (!mutex.try_lock()) return "the mutex is still held at the end";
    mutex.unlock();
    return {};
  }
};

// ---------------------------------------------------------------------------------------------
// (d) An auto-reset event, two waiters (one wait each) and two set() calls, each from a task.
//
// Each step runs atomically, so the event's specified behaviour can be replayed from a log of the
// operations in the order they ran: a set() releases the longest waiter, or leaves the event set
// (sets do not accumulate); a wait consumes a set event without waiting, or queues. Invariants: a
// waiter resumes only once the model has released it (FIFO: the longest waiter first) or let it
// pass, and in that way (without waiting, or after waiting); nobody resumes twice; everyone the
// model lets go has resumed by the end; the event is set at the end exactly when the model's is;
// a waiter still waiting at the end is one the model leaves waiting (no wake-up lost, none
// invented). Woken waiters may resume in either order: both are enqueued, and that order is the
// scheduler's choice. Outcomes: how many waiters waited, passed at once, or were left waiting.

struct auto_reset_two_waiters_two_sets {
  stepped_scheduler scheduler;
  weft::event event{weft::event::mode::auto_reset};
  outcomes* tally;
  // The log, in the order the steps ran: 'w' wait started, 'p' passed without waiting,
  // 'r' released after waiting, 's' set.
  struct entry {
    char what;
    int who;
  };
  std::vector<entry> log;
  std::vector<stepped_scheduler::handle<void>> tasks;

  static task<void> waiter(auto_reset_two_waiters_two_sets* s, int id) {
    s->log.push_back({'w', id});
    std::size_t at = s->log.size();
    co_await s->event.wait();
    // Nothing else logs during this task's step, so an unchanged log means no suspension.
    s->log.push_back({s->log.size() == at ? 'p' : 'r', id});
  }

  static task<void> setter(auto_reset_two_waiters_two_sets* s, int id) {
    s->log.push_back({'s', id});
    s->event.set();
    co_return;
  }

  explicit auto_reset_two_waiters_two_sets(outcomes* outcome_tally) : tally(outcome_tally) {
    tasks.push_back(scheduler.start(waiter(this, 1)));
    tasks.push_back(scheduler.start(waiter(this, 2)));
    tasks.push_back(scheduler.start(setter(this, 1)));
    tasks.push_back(scheduler.start(setter(this, 2)));
  }

  std::string finish() {
    std::string broken = check();
    // Release whoever still waits (the model says who may), so that the event can be destroyed.
    for (int i = 0; i < 2; ++i) {
      event.set();
      scheduler.run_until_idle();
    }
    return broken;
  }

  std::string check() const {
    bool set = false;
    std::deque<int> queue;            // the model's waiters, longest first
    std::vector<int> model_released;  // released by a set, in the order of the sets
    std::vector<int> model_passed;    // passed without waiting
    std::vector<int> resumed;         // 'p' and 'r' entries seen so far
    for (const entry& e : log) {
      switch (e.what) {
        case 'w':
          if (set) {
            set = false;
            model_passed.push_back(e.who);
          } else {
            queue.push_back(e.who);
          }
          break;
        case 's':
          if (!queue.empty()) {
            model_released.push_back(queue.front());
            queue.pop_front();
          } else {
            set = true;
          }
          break;
        case 'p':
        case 'r': {
          // Both woken waiters may resume in either order; what must hold is that each one
          // resumes only once the model has let it go, and the way the model let it go.
          const std::vector<int>& allowed = e.what == 'p' ? model_passed : model_released;
          if (std::find(allowed.begin(), allowed.end(), e.who) == allowed.end())
            return fmt::format("waiter {} {} though the model {}", e.who,
                               e.what == 'p' ? "passed without waiting" : "was released",
                               e.what == 'p' ? "made it wait" : "had not released it (yet)");
          if (std::find(resumed.begin(), resumed.end(), e.who) != resumed.end())
            return fmt::format("waiter {} resumed twice", e.who);
          resumed.push_back(e.who);
          break;
        }
      }
    }
    if (resumed.size() != model_passed.size() + model_released.size())
      return fmt::format("resumed {}, but the model passed {} and released {}", describe(resumed),
                         describe(model_passed), describe(model_released));
    if (event.is_set() != set)
      return fmt::format("the event is {}set at the end, expected {}set",
                         event.is_set() ? "" : "un", set ? "" : "un");
    for (int who : queue)
      if (tasks[static_cast<std::size_t>(who - 1)].done())
        return fmt::format("waiter {} ended though no set was left for it", who);
    tally->note(fmt::format("{} released after waiting, {} passed at once, {} left waiting",
                            model_released.size(), model_passed.size(), queue.size()));
    return {};
  }
};

}  // namespace

TEST_CASE("the explorer runs every order of the steps once and stops at the first bad one",
          "[interleavings]") {
  exploration all = explore<unguarded_increments<0>>(1000);
  CHECK(all.failure == "");
  CHECK(all.runs == 6);
  CHECK(all.longest == 4);
  // Depth first, always index 0 first: [0,0,0,0] and [0,0,1,0] interleave the two tasks; the third
  // order, [0,1,0,0], runs the first task to its end before the second starts.
  exploration sequential_found = explore<unguarded_increments<1>>(1000);
  CHECK(sequential_found.failure == "counter is 2");
  CHECK(sequential_found.runs == 3);
  CHECK(sequential_found.schedule == std::vector<std::size_t>{0, 1, 0, 0});
  exploration race_found = explore<unguarded_increments<2>>(1000);
  CHECK(race_found.failure == "counter is 1");
  CHECK(race_found.runs == 1);
}

TEST_CASE(
    "in every interleaving of two senders, a receiver and a close, nothing is lost or "
    "duplicated",
    "[interleavings][channel]") {
  const std::size_t capacity = GENERATE(std::size_t{0}, std::size_t{1});
  CAPTURE(capacity);
  outcomes tally;
  exploration result = explore<senders_receiver_close>(1'000'000, capacity, &tally);
  INFO(tally.summary());
  check_exploration(result, 10'000);
  for (int n = 0; n <= 4; ++n)
    CHECK(tally[fmt::format("{} handed back", n)] > 0);  // the close fell everywhere
}

TEST_CASE(
    "in every interleaving of a cancelled recv with a send and a close, the value is in "
    "exactly one place",
    "[interleavings][channel]") {
  const std::size_t capacity = GENERATE(std::size_t{0}, std::size_t{1});
  CAPTURE(capacity);
  outcomes tally;
  exploration result = explore<cancelled_recv_vs_send>(100'000, capacity, &tally);
  INFO(tally.summary());
  check_exploration(result, 24);
  CHECK(tally["received"] > 0);
  // With no buffer, a sender still waiting when the channel closes fails: only capacity 1 can end
  // with the value in the channel.
  if (capacity > 0) CHECK(tally["left in the channel"] > 0);
  CHECK(tally["handed back"] > 0);
  CHECK(tally["receive cancelled"] > 0);
  CHECK(tally["receive found the channel closed"] > 0);
  CHECK(tally["receive returned the value although the stop came first"] > 0);
}

TEST_CASE(
    "in every interleaving of three lockers, one cancelled, the mutex is exclusive, FIFO and "
    "free at the end",
    "[interleavings][mutex]") {
  outcomes tally;
  exploration result = explore<three_lockers_one_cancelled>(1'000'000, &tally);
  INFO(tally.summary());
  check_exploration(result, 5'000);
  CHECK(tally["lock() 21 cancelled"] > 0);
  CHECK(tally["lock() 22 cancelled"] > 0);
  CHECK(tally["locker 2 never cancelled"] > 0);
}

TEST_CASE(
    "in every interleaving of two waiters and two sets, an auto-reset event releases whom it "
    "should",
    "[interleavings][event]") {
  outcomes tally;
  exploration result = explore<auto_reset_two_waiters_two_sets>(100'000, &tally);
  INFO(tally.summary());
  check_exploration(result, 24);
  CHECK(tally["2 released after waiting, 0 passed at once, 0 left waiting"] > 0);
  CHECK(tally["1 released after waiting, 1 passed at once, 0 left waiting"] > 0);
  CHECK(tally["0 released after waiting, 1 passed at once, 1 left waiting"] > 0);
}

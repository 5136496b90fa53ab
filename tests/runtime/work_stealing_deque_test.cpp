#include <weft/detail/work_stealing_deque.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <thread>
#include <vector>

using weft::work_item;
using deque_type = weft::detail::work_stealing_deque;
using steal_result = deque_type::steal_result;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif
#else
constexpr bool under_tsan = false;
#endif

// Steals once; nullptr unless it succeeded.
work_item* steal_one(deque_type& deque) {
  work_item* out = nullptr;
  return deque.steal(out) == steal_result::success ? out : nullptr;
}

// Spins until `condition` holds. Yields only rarely: on a loaded machine a yield can cost a whole
// time slice, which would swamp the timing the race test depends on.
template <class Condition>
void spin_until(Condition condition) {
  for (unsigned spins = 1; !condition(); ++spins)
    if (spins % 4096 == 0) std::this_thread::yield();
}

// Busy-waits for about `iterations` loop turns: the race test's calibrated head start. A long
// delay yields now and then: when the two racing threads share one CPU (a loaded machine), the
// other side only gets to run when we yield.
void busy_delay(unsigned iterations) {
  static std::atomic<unsigned> sink{0};
  for (unsigned i = 1; i <= iterations; ++i) {
    sink.store(i, std::memory_order_relaxed);
    if (i % 1024 == 0) std::this_thread::yield();
  }
}

}  // namespace

TEST_CASE("an empty deque pops nothing and has nothing to steal", "[deque]") {
  deque_type deque;
  CHECK(deque.pop() == nullptr);
  work_item* out = nullptr;
  CHECK(deque.steal(out) == steal_result::empty);
  CHECK(out == nullptr);
  CHECK(deque.size_estimate() == 0);

  // Emptied again after use, and a failed pop leaves it usable.
  work_item item;
  deque.push(&item);
  CHECK(deque.pop() == &item);
  CHECK(deque.pop() == nullptr);
  CHECK(deque.steal(out) == steal_result::empty);
  CHECK(deque.size_estimate() == 0);
  deque.push(&item);
  CHECK(deque.size_estimate() == 1);
  CHECK(steal_one(deque) == &item);
}

TEST_CASE("the owner pops in LIFO order and thieves steal in FIFO order", "[deque]") {
  std::vector<work_item> items(8);
  deque_type deque;
  for (auto& item : items)
    deque.push(&item);
  CHECK(deque.size_estimate() == 8);

  CHECK(steal_one(deque) == &items[0]);
  CHECK(steal_one(deque) == &items[1]);
  CHECK(deque.pop() == &items[7]);
  CHECK(deque.pop() == &items[6]);
  CHECK(steal_one(deque) == &items[2]);
  CHECK(deque.pop() == &items[5]);
  CHECK(deque.size_estimate() == 2);
  CHECK(deque.pop() == &items[4]);
  CHECK(deque.pop() == &items[3]);
  CHECK(deque.pop() == nullptr);
}

TEST_CASE("growing past the initial capacity keeps every item in order", "[deque]") {
  std::vector<work_item> items(1000);

  SECTION("from a ring that starts at index zero") {
    deque_type deque(4);
    for (auto& item : items)
      deque.push(&item);
    CHECK(deque.size_estimate() == items.size());
    for (std::size_t i = 0; i < 500; ++i)
      REQUIRE(steal_one(deque) == &items[i]);
    for (std::size_t i = items.size(); i-- > 500;)
      REQUIRE(deque.pop() == &items[i]);
    CHECK(deque.pop() == nullptr);
  }

  SECTION("from a ring whose live range wraps around its end") {
    deque_type deque(4);
    work_item filler[3];
    for (auto& item : filler)
      deque.push(&item);
    for (auto& item : filler)
      REQUIRE(steal_one(deque) == &item);  // top and bottom now at 3
    for (auto& item : items)
      deque.push(&item);  // first growth copies slots 3, 0, 1, 2
    for (auto& item : items)
      REQUIRE(steal_one(deque) == &item);
    CHECK(deque.pop() == nullptr);
  }
}

TEST_CASE("a random mix of push, pop and steal matches a std::deque model", "[deque]") {
  constexpr std::size_t operations = 100'000;
  std::vector<work_item> items(operations);
  std::size_t next_item = 0;
  deque_type deque(2);  // tiny, so it grows several times along the way
  std::deque<work_item*> model;
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> choose(0, 99);

  for (std::size_t step = 0; step < operations; ++step) {
    const int choice = choose(random);
    if (choice < 45) {  // push a little more often than we take, so the deque grows
      deque.push(&items[next_item]);
      model.push_back(&items[next_item]);
      ++next_item;
    } else if (choice < 75) {
      work_item* expected = model.empty() ? nullptr : model.back();
      if (!model.empty()) model.pop_back();
      REQUIRE(deque.pop() == expected);
    } else {
      work_item* out = nullptr;
      const steal_result result = deque.steal(out);
      if (model.empty()) {
        REQUIRE(result == steal_result::empty);
      } else {
        REQUIRE(result == steal_result::success);
        REQUIRE(out == model.front());
        model.pop_front();
      }
    }
    REQUIRE(deque.size_estimate() == model.size());
  }
  while (!model.empty()) {
    REQUIRE(deque.pop() == model.back());
    model.pop_back();
  }
  CHECK(deque.pop() == nullptr);
}

TEST_CASE("with one item left, whichever of owner and thief comes first takes it", "[deque]") {
  std::vector<work_item> items(3);
  deque_type deque(2);
  deque.push(&items[0]);
  deque.push(&items[1]);
  REQUIRE(steal_one(deque) == &items[0]);  // one left, not at index zero

  SECTION("the owner pops it, then a steal finds the deque empty") {
    CHECK(deque.pop() == &items[1]);
    work_item* out = nullptr;
    CHECK(deque.steal(out) == steal_result::empty);
    CHECK(deque.pop() == nullptr);
  }
  SECTION("a thief steals it, then the owner's pop finds the deque empty") {
    CHECK(steal_one(deque) == &items[1]);
    CHECK(deque.pop() == nullptr);
    work_item* out = nullptr;
    CHECK(deque.steal(out) == steal_result::empty);
  }
  // Either way the indices were left consistent: the deque works on.
  deque.push(&items[2]);
  CHECK(deque.size_estimate() == 1);
  CHECK(deque.pop() == &items[2]);
  CHECK(deque.size_estimate() == 0);
}

TEST_CASE("the last item raced by owner and thief goes to exactly one", "[deque][concurrency]") {
  const int rounds = under_tsan ? 10'000 : 20'000;  // each TSan round costs ~10x
  std::vector<work_item> items(static_cast<std::size_t>(rounds));
  deque_type deque(2);
  // Three arrivals per round: owner (item pushed) and thief (ready) open the race when the count
  // reaches 3 * round + 2, a two-sided barrier so neither side is a whole wake-up behind; the
  // thief's third (steal finished) lets the owner push the next round's single item.
  std::atomic<int> arrivals{0};
  int thief_lost_races = 0;  // CAS-against-CAS collisions: the interesting case
  std::vector<work_item*> stolen(items.size(), nullptr);  // written by the thief, read after join

  std::thread thief([&] {
    for (int round = 0; round < rounds; ++round) {
      arrivals.fetch_add(1);
      spin_until([&] { return arrivals.load() >= 3 * round + 2; });
      work_item* out = nullptr;
      // lost_race means the owner took it; a retry would only find the deque empty.
      const steal_result result = deque.steal(out);
      if (result == steal_result::success) stolen[static_cast<std::size_t>(round)] = out;
      if (result == steal_result::lost_race) ++thief_lost_races;
      arrivals.fetch_add(1);
    }
  });

  // The owner arrives last, so it sees the barrier open a cache miss before the thief (when both
  // share one CPU, a whole time slice) and would nearly always win. It holds back by a delay that
  // grows while it keeps winning and shrinks when it loses, settling where the two sides meet
  // (or, on one CPU, around the delay's yield): both win often, and with two CPUs their CASes on
  // top_ now and then collide.
  unsigned owner_delay = 0;
  constexpr unsigned delay_step = 4;
  constexpr unsigned max_delay = 100'000;
  std::vector<work_item*> popped(items.size(), nullptr);
  for (int round = 0; round < rounds; ++round) {
    deque.push(&items[static_cast<std::size_t>(round)]);
    arrivals.fetch_add(1);
    spin_until([&] { return arrivals.load() >= 3 * round + 2; });
    busy_delay(owner_delay);
    work_item* item = deque.pop();
    popped[static_cast<std::size_t>(round)] = item;
    if (item != nullptr)
      owner_delay = std::min(owner_delay + delay_step, max_delay);
    else
      owner_delay = owner_delay > delay_step ? owner_delay - delay_step : 0;
    spin_until([&] { return arrivals.load() >= 3 * round + 3; });
  }
  thief.join();

  int owner_won = 0;
  int thief_won = 0;
  for (std::size_t round = 0; round < items.size(); ++round) {
    const bool owner_has = popped[round] != nullptr;
    const bool thief_has = stolen[round] != nullptr;
    REQUIRE(owner_has != thief_has);  // exactly one, never both, never neither
    REQUIRE((owner_has ? popped[round] : stolen[round]) == &items[round]);
    (owner_has ? owner_won : thief_won) += 1;
  }
  INFO("owner won " << owner_won << ", thief won " << thief_won << ", CASes collided "
                    << thief_lost_races);
  CHECK(owner_won + thief_won == rounds);
  // The calibration makes both outcomes common; if one never happened the race was not run.
  CHECK(owner_won > 0);
  CHECK(thief_won > 0);
  CHECK(deque.size_estimate() == 0);
}

TEST_CASE("every item is taken exactly once while three thieves steal and the deque grows",
          "[deque][concurrency]") {
  constexpr int thief_count = 3;
  // Many short phases, each with a fresh deque of capacity 2, so growth happens again and again
  // while thieves are mid-steal; bursts of random size make it happen at random moments.
  constexpr int phases = 40;  // 200k items: cheap enough for TSan too
  constexpr std::size_t items_per_phase = 5'000;
  std::vector<work_item> items(items_per_phase * static_cast<std::size_t>(phases));
  std::unique_ptr<std::atomic<int>[]> taken_count(new std::atomic<int>[items.size()]());
  std::atomic<std::size_t> out_of_range{0};
  std::atomic<std::size_t> payload_unseen{0};

  // Like a coroutine frame, each item is written (plain, non-atomic) just before it is pushed and
  // read by whoever takes it: the deque's release/acquire must make that write visible, and TSan
  // checks that it does.
  auto take = [&](work_item* item) {
    if (item < items.data() || item >= items.data() + items.size()) {
      out_of_range.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (item->next != item) payload_unseen.fetch_add(1, std::memory_order_relaxed);
    taken_count[static_cast<std::size_t>(item - items.data())].fetch_add(1,
                                                                         std::memory_order_relaxed);
  };

  std::mt19937 random(7);
  std::size_t stolen_total = 0;
  for (int phase = 0; phase < phases; ++phase) {
    deque_type deque(2);
    std::atomic<int> thieves_running{0};
    std::atomic<bool> owner_done{false};
    std::atomic<std::size_t> stolen_this_phase{0};
    std::vector<std::thread> thieves;
    for (int t = 0; t < thief_count; ++t) {
      thieves.emplace_back([&] {
        thieves_running.fetch_add(1);
        std::size_t stolen = 0;
        for (unsigned empty_in_a_row = 0;;) {
          // Read before stealing: once we have seen the owner done, the steal sees all it pushed,
          // so empty then means empty for good (read after, it could be a stale empty).
          const bool owner_was_done = owner_done.load(std::memory_order_acquire);
          work_item* out = nullptr;
          const steal_result result = deque.steal(out);
          if (result == steal_result::success) {
            take(out);
            ++stolen;
            empty_in_a_row = 0;
          } else if (result == steal_result::empty) {
            if (owner_was_done) break;
            if (++empty_in_a_row % 64 == 0) std::this_thread::yield();
          }  // lost_race: retry at once
        }
        stolen_this_phase.fetch_add(stolen, std::memory_order_relaxed);
      });
    }
    // Otherwise the owner can finish a phase before a thief thread has even started.
    spin_until([&] { return thieves_running.load() == thief_count; });

    const std::size_t end = items_per_phase * static_cast<std::size_t>(phase + 1);
    std::size_t next = end - items_per_phase;
    std::uniform_int_distribution<std::size_t> burst(1, 512);
    std::uniform_int_distribution<std::size_t> pops_after(0, 300);
    for (;;) {
      const std::size_t count = std::min(burst(random), end - next);
      for (std::size_t i = 0; i < count; ++i, ++next) {
        items[next].next = &items[next];
        deque.push(&items[next]);
      }
      if (next == end) break;  // the last burst is left to the thieves, so they always take part
      for (std::size_t pops = pops_after(random); pops > 0; --pops) {
        work_item* item = deque.pop();
        if (item == nullptr) break;
        take(item);
        busy_delay(16);  // "runs" the item, giving thieves time to steal meanwhile
      }
    }
    owner_done.store(true, std::memory_order_release);
    for (auto& thief : thieves)
      thief.join();
    CHECK(deque.size_estimate() == 0);
    CHECK(deque.pop() == nullptr);
    stolen_total += stolen_this_phase.load();
  }

  CHECK(out_of_range.load() == 0);
  CHECK(payload_unseen.load() == 0);
  std::size_t lost = 0;
  std::size_t duplicated = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const int count = taken_count[i].load();
    if (count == 0) ++lost;
    if (count > 1) ++duplicated;
  }
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(stolen_total > 0);
}

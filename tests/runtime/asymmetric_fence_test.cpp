// Tests of weft/detail/asymmetric_fence.hpp: light_fence() on one thread and heavy_fence() on
// another must together forbid the store-buffering outcome that no fence at all allows.
#include <weft/detail/asymmetric_fence.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace {

// Both sides of a round arrive here and leave together (as nearly as two spinning threads can),
// so that their stores and loads overlap.
// Then each spins a few iterations more, a different number every round (`skew`), because the
// two rarely leave at the same instant and the window that matters is a few dozen nanoseconds.
void meet(std::atomic<int>& arrived, int round, unsigned skew) {
  arrived.fetch_add(1, std::memory_order_acq_rel);
  while (arrived.load(std::memory_order_acquire) < 2 * round) {
  }
  for (unsigned i = 0; i < skew % 32; ++i)
    std::atomic_signal_fence(std::memory_order_seq_cst);  // keeps the empty loop
}

}  // namespace

TEST_CASE("a light and a heavy fence never let both sides miss the other's store",
          "[asymmetric_fence]") {
  // The store-buffering litmus test, round after round: the frequent side stores x and loads y
  // with light_fence() between, the rare side stores y and loads x with heavy_fence() between.
  // With heavy_fence() emptied, both loads read 0 in a few rounds per thousand on the development
  // VM (checked by hand): this test fails then.
  // Each round stores its own number, so nothing needs resetting between rounds; a load "misses"
  // when it reads an older round's number.
  INFO("membarrier in use: " << weft::detail::fence_is_membarrier());
  constexpr int rounds = 10'000;
  std::atomic<int> x{0};
  std::atomic<int> y{0};
  std::atomic<int> arrived{0};
  std::vector<int> frequent_saw(rounds + 1);
  std::vector<int> rare_saw(rounds + 1);
  std::thread rare{[&] {
    for (int round = 1; round <= rounds; ++round) {
      meet(arrived, round, static_cast<unsigned>(round) * 7u);
      y.store(round, std::memory_order_relaxed);
      weft::detail::heavy_fence();
      rare_saw[round] = x.load(std::memory_order_relaxed);
    }
  }};
  for (int round = 1; round <= rounds; ++round) {
    meet(arrived, round, static_cast<unsigned>(round) * 13u);
    x.store(round, std::memory_order_relaxed);
    weft::detail::light_fence();
    frequent_saw[round] = y.load(std::memory_order_relaxed);
  }
  rare.join();
  int both_missed = 0;
  for (int round = 1; round <= rounds; ++round)
    if (frequent_saw[round] < round && rare_saw[round] < round) ++both_missed;
  CHECK(both_missed == 0);
}

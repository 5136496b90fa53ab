// S14, stage 6 (Effective Python item 64) — CPU-heavy per-cell work on weft's pool, while the I/O
// stays on the loop.
//
// What changed from stage 4, and why:
//  - The game grew a CPU-heavy part: after its I/O, each cell is evaluated by evaluate_cell, which
//    also computes a costly fingerprint of the cell (kRounds of a 64-bit mixing function; it
//    stands for whatever per-cell computation outweighs the I/O — a physics model, rendering, the
//    book's gcd of large numbers). Done on the loop, that would be item 63's mistake at scale:
//    320 steps of pure computation during which no timer fires and no socket is read, and only
//    one core working.
//  - So the computation goes to the pool: `co_await weft::offload(pool, evaluate_cell, ...)` runs
//    it on a worker and resumes step_cell on the loop with the result. The I/O stays where it was:
//    the round trip to the cell service (cell_service.hpp) is co_awaited on the loop. The pool has
//    a worker per core, so a generation's 64 evaluations run in parallel. (The book needs
//    ProcessPoolExecutor because of the GIL; C++ threads run in parallel, so weft's pool is a pool
//    of threads — a work-stealing one.)
//  - Nothing else changed: one coroutine per cell, when_all per generation, as in stage 4.
//  - Checked: the grid, the sum of all fingerprints against a serial computation on main, every
//    round trip resumed on the loop thread, and no evaluation ran on it.
//
// Run: ./porting_s14_stage6_offload

#include "cell_service.hpp"
#include "life.hpp"

#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using life::Grid;
using service::CellData;
using weft::task;

constexpr int kRounds = 100'000;

struct Evaluation {
  char next;
  std::uint64_t fingerprint;
  std::thread::id ran_on;
};

// CPU only: no I/O, no shared state — safe to run anywhere, in parallel.
Evaluation evaluate_cell(CellData cell, std::uint64_t seed) {
  const std::uint64_t data =
      (static_cast<std::uint64_t>(cell.state) << 8) | static_cast<std::uint64_t>(cell.neighbors);
  std::uint64_t h = (seed * 0x9E3779B97F4A7C15ULL) ^ data;
  for (int i = 0; i < kRounds; ++i) {
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
  }
  return {life::next_state(cell.state, cell.neighbors), h, std::this_thread::get_id()};
}

std::uint64_t seed_of(int generation, int y, int x) {
  return static_cast<std::uint64_t>((generation * life::kRows + y) * life::kCols + x);
}

// Loop thread only.
struct Tally {
  std::uint64_t fingerprints = 0;
  int steps = 0;
  std::set<std::thread::id> io_threads;   // where each round trip resumed
  std::set<std::thread::id> cpu_threads;  // where each evaluation ran
};

task<void> step_cell(int g, int y, int x, const Grid& grid, Grid& next, service::CellService& cells,
                     weft::thread_pool& pool, Tally& tally) {
  const CellData sent{grid.get(y, x), life::count_neighbors(y, x, grid)};
  const CellData answer = co_await service::round_trip(cells.connection(y, x), sent);  // I/O: loop
  tally.io_threads.insert(std::this_thread::get_id());
  const Evaluation result = co_await weft::offload(pool, evaluate_cell, answer, seed_of(g, y, x));
  next.set(y, x, result.next);  // back on the loop
  tally.fingerprints += result.fingerprint;
  tally.cpu_threads.insert(result.ran_on);
  ++tally.steps;
}

task<Grid> simulate(int g, const Grid& grid, service::CellService& cells, weft::thread_pool& pool,
                    Tally& tally) {
  Grid next(grid.height(), grid.width());
  std::vector<task<void>> steps;
  for (int y = 0; y < grid.height(); ++y)
    for (int x = 0; x < grid.width(); ++x)
      steps.push_back(step_cell(g, y, x, grid, next, cells, pool, tally));
  co_await weft::when_all(std::move(steps));
  co_return next;
}

task<std::vector<Grid>> run_game(weft::thread_pool& pool, Tally& tally, int* served) {
  service::CellService cells(life::kRows, life::kCols);
  std::vector<Grid> generations{life::glider()};
  for (int g = 0; g < life::kGenerations; ++g) {
    Grid next = co_await simulate(g, generations.back(), cells, pool, tally);
    generations.push_back(std::move(next));
  }
  co_await cells.stop();
  *served = cells.served();
  co_return generations;
}

}  // namespace

int main() {
  // The serial computation of the CPU part, on main, for the check (and the comparison).
  const std::vector<Grid> reference = life::serial_reference();
  auto start = std::chrono::steady_clock::now();
  std::uint64_t serial_fingerprints = 0;
  for (int g = 0; g < life::kGenerations; ++g)
    for (int y = 0; y < life::kRows; ++y)
      for (int x = 0; x < life::kCols; ++x)
        serial_fingerprints +=
            evaluate_cell({reference[g].get(y, x), life::count_neighbors(y, x, reference[g])},
                          seed_of(g, y, x))
                .fingerprint;
  const std::string serial_elapsed = life::ms_since(start);

  weft::thread_pool pool;  // one worker per core
  Tally tally;
  int served = 0;
  start = std::chrono::steady_clock::now();
  const std::vector<Grid> generations = weft::run(run_game(pool, tally, &served));
  const std::string elapsed = life::ms_since(start);
  const std::thread::id loop_thread = std::this_thread::get_id();  // weft::run ran the loop here

  life::print_columns(generations);
  std::cout << "CPU part alone, serially on main: " << serial_elapsed << "\n"
            << "whole game (I/O on the loop, CPU on " << pool.size()
            << " pool workers): " << elapsed << "; evaluations ran on " << tally.cpu_threads.size()
            << " distinct pool threads\n";

  const bool io_on_loop = tally.io_threads == std::set<std::thread::id>{loop_thread};
  const bool cpu_off_loop = tally.cpu_threads.count(loop_thread) == 0;
  if (!life::matches_reference(generations) || tally.fingerprints != serial_fingerprints ||
      tally.steps != life::kCellSteps || served != life::kCellSteps || !io_on_loop ||
      !cpu_off_loop) {
    std::cout << "S14 stage 6 FAILED: grid or fingerprints differ, or steps=" << tally.steps
              << " served=" << served << " io_on_loop=" << io_on_loop
              << " cpu_off_loop=" << cpu_off_loop << '\n';
    return 1;
  }
  std::cout << "S14 stage 6 done (loop I/O + pool CPU): " << life::kGenerations
            << " generations, grid matches the serial reference, " << tally.steps
            << " cell steps: " << served << " round trips on the loop thread, " << tally.steps
            << " evaluations on the pool, fingerprints match\n";
  return 0;
}

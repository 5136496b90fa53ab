// S14, stage 1 (Effective Python items 56–57) — Conway's Game of Life whose per-cell step does
// blocking I/O: a thread per cell, per generation.
//
// Item 56 — know when concurrency is needed: the serial program spends almost all of its time in
// game_logic's I/O (64 cells × kIoLatency per generation), one cell after another, although the
// cells do not depend on each other within a generation. That is fan-out: do the 64 steps at once,
// and fan-in: wait for all of them before the next generation.
//
// Item 57 — do not create a new thread per fan-out: this stage does exactly that, to show why not.
// `simulate_threaded` starts one std::thread per cell and joins them all. It works, and the I/O
// overlaps, but:
//  - every thread costs a stack (8 MiB of address space by default) and a clone()/exit pair; this
//    program starts kCellSteps threads (counted below) for 64-way concurrency, and a 100×100 grid
//    would start 10,000 per generation;
//  - nothing bounds the number of threads: the fan-out width is the grid size;
//  - an exception escaping a std::thread calls std::terminate (the book: Python prints it and the
//    cell is silently left unset) — the caller never sees it.
// The grid itself needs no lock here: each thread writes its own cell of `next` (distinct memory
// locations), reads only `grid`, and join() orders those writes before main reads them.
//
// Run: ./porting_s14_stage1_thread_per_cell

#include "life.hpp"

#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using life::Grid;

int threads_started = 0;  // main thread only

// The book's step_cell: read the cell and its neighbours, do the (blocking) game logic, set the
// cell in the next grid.
void step_cell(int y, int x, const Grid& grid, Grid& next) {
  const char state = grid.get(y, x);
  const int neighbors = life::count_neighbors(y, x, grid);
  next.set(y, x, life::game_logic(state, neighbors));
}

Grid simulate_threaded(const Grid& grid) {
  Grid next(grid.height(), grid.width());
  std::vector<std::thread> threads;
  for (int y = 0; y < grid.height(); ++y) {
    for (int x = 0; x < grid.width(); ++x) {
      threads.emplace_back(step_cell, y, x, std::cref(grid), std::ref(next));  // fan out
      ++threads_started;
    }
  }
  for (std::thread& thread : threads)
    thread.join();  // fan in
  return next;
}

}  // namespace

int main() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Grid> generations{life::glider()};
  for (int g = 0; g < life::kGenerations; ++g)
    generations.push_back(simulate_threaded(generations.back()));
  const std::string elapsed = life::ms_since(start);

  life::print_columns(generations);
  std::cout << life::kCellSteps << " cell steps in " << elapsed << ", " << threads_started
            << " threads started (serially: at least "
            << life::kCellSteps * life::kIoLatency.count() / 1000 << " ms of I/O)\n";

  if (!life::matches_reference(generations) || threads_started != life::kCellSteps) {
    std::cout << "S14 stage 1 FAILED: grid differs from the serial reference or threads="
              << threads_started << '\n';
    return 1;
  }
  std::cout << "S14 stage 1 done (thread per cell): " << life::kGenerations
            << " generations, grid matches the serial reference, " << life::kCellSteps
            << " cell steps on " << threads_started << " threads started\n";
  return 0;
}

// S14, stage 4 (Effective Python items 60–61) — the same Game of Life with coroutines: one
// coroutine per cell, on weft's io_uring loop, and the I/O is real I/O on the loop.
//
// What changed from stages 1–3, and why:
//  - step_cell and simulate are stage 1's functions again — fan out one unit per cell, fan in —
//    but each unit is a coroutine (a weft::task), not a thread. `when_all(steps)` is the book's
//    `asyncio.gather(*tasks)`: it starts the 64 step_cells and resumes simulate when all are done.
//  - game_logic became a coroutine (service::game_logic in cell_service.hpp): its I/O is a write
//    and a read on a socket, with a small "cell service" coroutine at the other end. `co_await`
//    on the read suspends the cell; the loop thread goes on with the other cells. So all 64 I/O
//    waits of a generation overlap — as in stage 1 — on ONE thread, with no cap (stages 2–3 cap
//    it at their worker count) and with no thread started at all: the program runs on main's
//    thread, which weft::run turns into the loop.
//  - Item 61 (porting threaded I/O to coroutines) is this diff: the shape of the code stays; the
//    blocking calls become `co_await`s of their awaitable counterparts, and the functions that
//    reach them become coroutines (task<...>) up to the top. Errors propagate as in stage 3:
//    when_all rethrows the first exception a step threw, after every step has finished.
//  - The references step_cell takes (grid, next, service) point into simulate's frame; that is
//    safe because simulate awaits when_all right there — no step outlives the call.
//
// Run: ./porting_s14_stage4_coroutines

#include "cell_service.hpp"
#include "life.hpp"

#include <weft/io_loop.hpp>
#include <weft/task.hpp>
#include <weft/when_all.hpp>

#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using life::Grid;
using weft::task;

std::set<std::thread::id> threads_used;  // loop thread only: where the cell steps ran
int steps_done = 0;                      // loop thread only

task<void> step_cell(int y, int x, const Grid& grid, Grid& next, service::CellService& cells) {
  const char state = grid.get(y, x);
  const int neighbors = life::count_neighbors(y, x, grid);
  const char next_state = co_await service::game_logic(cells.connection(y, x), state, neighbors);
  next.set(y, x, next_state);
  threads_used.insert(std::this_thread::get_id());
  ++steps_done;
}

task<Grid> simulate(const Grid& grid, service::CellService& cells) {
  Grid next(grid.height(), grid.width());
  std::vector<task<void>> steps;
  for (int y = 0; y < grid.height(); ++y)
    for (int x = 0; x < grid.width(); ++x)
      steps.push_back(step_cell(y, x, grid, next, cells));  // fan out: nothing runs yet
  co_await weft::when_all(std::move(steps));                // run them all; fan in
  co_return next;
}

task<std::vector<Grid>> run_game(int* served) {
  service::CellService cells(life::kRows, life::kCols);  // 64 connections, 64 handlers
  std::vector<Grid> generations{life::glider()};
  for (int g = 0; g < life::kGenerations; ++g) {
    Grid next = co_await simulate(generations.back(), cells);
    generations.push_back(std::move(next));
  }
  co_await cells.stop();
  *served = cells.served();
  co_return generations;
}

}  // namespace

int main() {
  const auto start = std::chrono::steady_clock::now();
  int served = 0;
  const std::vector<Grid> generations = weft::run(run_game(&served));
  const std::string elapsed = life::ms_since(start);

  life::print_columns(generations);
  std::cout << life::kCellSteps << " cell steps in " << elapsed << " on " << threads_used.size()
            << " thread (all 64 round trips of a generation in flight at once)\n";

  if (!life::matches_reference(generations) || steps_done != life::kCellSteps ||
      served != life::kCellSteps || threads_used.size() != 1) {
    std::cout << "S14 stage 4 FAILED: grid differs from the serial reference, or steps="
              << steps_done << " served=" << served << " threads=" << threads_used.size() << '\n';
    return 1;
  }
  std::cout << "S14 stage 4 done (weft coroutines): " << life::kGenerations
            << " generations, grid matches the serial reference, " << steps_done
            << " cell steps on " << threads_used.size() << " thread, " << served
            << " round trips to the cell service\n";
  return 0;
}

// life.hpp — what every stage of S14 shares: Conway's Game of Life as Effective Python (items
// 56–64) writes it — Grid, count_neighbors, the rule (`game_logic`), a glider — and the serial
// reference every stage checks its result against. Plain C++: stages 1–3 link only Threads.
//
// The book's game_logic "does some blocking input/output" before it applies the rule (its comment:
// `data = my_socket.recv(100)`). Here blocking_io() is that I/O for the threaded stages: a system
// call that parks the thread in the kernel for kIoLatency, as S13's slow_systemcall() does. The
// weft stages replace it with a real round trip over a socket (cell_service.hpp).
#pragma once

#include <sys/select.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace life {

inline constexpr char ALIVE = '*';
inline constexpr char EMPTY = '-';

inline constexpr int kRows = 8;
inline constexpr int kCols = 8;
inline constexpr int kGenerations = 5;  // steps simulated after the initial grid
inline constexpr int kCellSteps = kRows * kCols * kGenerations;  // 320
inline constexpr std::chrono::microseconds kIoLatency{1000};     // the "I/O" of one cell step

// The book's Grid: a torus (coordinates wrap around), one char per cell. Distinct cells are
// distinct memory locations, so threads setting different cells of one Grid do not race (the
// book adds a LockingGrid because its threads share Python objects; C++ needs no lock for this).
class Grid {
 public:
  Grid(int height, int width) : height_(height), width_(width), cells_(height * width, EMPTY) {}
  [[nodiscard]] int height() const { return height_; }
  [[nodiscard]] int width() const { return width_; }
  [[nodiscard]] char get(int y, int x) const { return cells_[index(y, x)]; }
  void set(int y, int x, char state) { cells_[index(y, x)] = state; }
  bool operator==(const Grid&) const = default;

 private:
  [[nodiscard]] std::size_t index(int y, int x) const {
    y = ((y % height_) + height_) % height_;
    x = ((x % width_) + width_) % width_;
    return static_cast<std::size_t>(y * width_ + x);
  }
  int height_;
  int width_;
  std::vector<char> cells_;
};

// The book's starting grid: a glider.
inline Grid glider() {
  Grid grid(kRows, kCols);
  grid.set(0, 3, ALIVE);
  grid.set(1, 4, ALIVE);
  grid.set(2, 2, ALIVE);
  grid.set(2, 3, ALIVE);
  grid.set(2, 4, ALIVE);
  return grid;
}

inline int count_neighbors(int y, int x, const Grid& grid) {
  int count = 0;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx)
      if ((dy != 0 || dx != 0) && grid.get(y + dy, x + dx) == ALIVE) ++count;
  return count;
}

// The rule, without the I/O.
inline char next_state(char state, int neighbors) {
  if (state == ALIVE) {
    if (neighbors < 2 || neighbors > 3) return EMPTY;  // dies of loneliness / overcrowding
  } else if (neighbors == 3) {
    return ALIVE;  // is born
  }
  return state;
}

// The I/O of the threaded stages: a blocking system call (select() on no descriptors, timing out;
// Linux leaves the time not yet waited in `timeout`, so a signal cannot cut the wait short).
inline void blocking_io() {
  timeval timeout{0, static_cast<suseconds_t>(kIoLatency.count())};
  while (select(0, nullptr, nullptr, nullptr, &timeout) == -1 && errno == EINTR) {
  }
}

// The book's blocking game_logic: I/O, then the rule.
inline char game_logic(char state, int neighbors) {
  blocking_io();
  return next_state(state, neighbors);
}

// The serial reference, with no I/O at all: generations[0] is the glider, [g] the grid after g
// steps. Checked once more against what a glider must do: after 4 steps it is itself again, moved
// one cell down and one right.
inline std::vector<Grid> serial_reference() {
  std::vector<Grid> generations{glider()};
  for (int g = 0; g < kGenerations; ++g) {
    const Grid& grid = generations.back();
    Grid next(grid.height(), grid.width());
    for (int y = 0; y < grid.height(); ++y)
      for (int x = 0; x < grid.width(); ++x)
        next.set(y, x, next_state(grid.get(y, x), count_neighbors(y, x, grid)));
    generations.push_back(std::move(next));
  }
  Grid moved(kRows, kCols);
  for (int y = 0; y < kRows; ++y)
    for (int x = 0; x < kCols; ++x)
      moved.set(y + 1, x + 1, generations[0].get(y, x));
  if (generations[4] != moved) {
    std::cout << "S14: the serial reference is wrong: the glider did not move\n";
    std::exit(2);
  }
  return generations;
}

// The book's ColumnPrinter: the generations side by side, separated by " | ".
inline void print_columns(const std::vector<Grid>& generations) {
  for (int y = 0; y < kRows; ++y) {
    std::string line;
    for (std::size_t g = 0; g < generations.size(); ++g) {
      if (g > 0) line += " | ";
      for (int x = 0; x < kCols; ++x)
        line += generations[g].get(y, x);
    }
    std::cout << line << '\n';
  }
}

// The check each stage makes before it prints its "done" line.
inline bool matches_reference(const std::vector<Grid>& generations) {
  return generations == serial_reference();
}

// "12.3 ms": for the lines that print timings (never checked by the tests).
inline std::string ms_since(std::chrono::steady_clock::time_point start) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", ms);
  return text;
}

}  // namespace life

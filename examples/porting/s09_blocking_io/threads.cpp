// S9 (seed 001, Effective Python item 53) — `slow_systemcall()` is `select.select([sock], [], [],
// 0.1)`, a blocking system call that times out. Five of them in a row take 0.5 s; in five threads,
// while main runs `compute_something(i, i + 1)`, they take 0.1 s.
//
// What it shows: blocking I/O overlapped with computation. A thread blocked in a system call does
// not hold the CPU (nor, in CPython, the GIL), so the waits overlap each other and main's work.
// C++ behaves the same here: the win comes from the waits overlapping, not from parallel CPUs.
//
// The seed selects on a fresh, unconnected socket; on Linux that reports readable at once
// (POLLHUP), so the port waits on the read end of a pipe nobody writes to: a real wait for I/O that
// does not come. Time is scaled: 0.1 s -> 50 ms. Printed times are not checked.
//
// Run: ./porting_s09_blocking_io_threads

#include <sys/select.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <system_error>
#include <thread>
#include <vector>

namespace {

int pipe_fds[2];  // nothing is ever written to pipe_fds[1]
std::atomic<int> timeouts{0};

void slow_systemcall() {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(pipe_fds[0], &readable);
  timeval timeout{0, 50'000};  // scaled from 0.1 s
  const int r = select(pipe_fds[0] + 1, &readable, nullptr, nullptr, &timeout);
  if (r == 0) timeouts.fetch_add(1);
}

int compute_something(int pre_val, int cur_val) {
  return pre_val + cur_val;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  if (pipe(pipe_fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");

  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    slow_systemcall();
  const double serial_s = seconds_since(start);
  std::cout << "serial:   5 calls in " << serial_s << " s\n";

  start = std::chrono::steady_clock::now();
  int computed = 0;
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 5; ++i)
      threads.emplace_back(slow_systemcall);
    // Main keeps computing while the five threads sit in select().
    for (int i = 0; i < 5; ++i)
      computed += compute_something(i, i + 1);
  }  // join all
  const double threaded_s = seconds_since(start);
  std::cout << "threaded: 5 calls in " << threaded_s << " s, computed " << computed
            << " meanwhile\n";

  close(pipe_fds[0]);
  close(pipe_fds[1]);
  const int n = timeouts.load();
  if (n != 10 || computed != 25) {
    std::cout << "S09 FAILED: timeouts=" << n << " computed=" << computed << '\n';
    return 1;
  }
  std::cout << "S09 done: 5 serial + 5 threaded select() calls timed out, computed=25\n";
  return 0;
}

// S17 (seed 002) — `do_actions()` sums `range(10**8)`; run in 2 threads it takes 12.8 s, in 2
// processes 6.5 s: CPython's GIL lets only one thread compute at a time, processes each have
// their own interpreter.
//
// What it shows: threads for concurrency, processes for parallelism — in Python. In C++ there is
// no GIL: two threads computing run on two cores, just like two processes, and need no fork, no
// pipe to send the result back, no second address space. Both are shown next to a serial run.
// The printed times vary with the machine and its load; only the sums are checked.
//
// `count += i` summed in a loop is something a C++ optimiser replaces with n*(n-1)/2; keep_loop()
// is an empty asm statement that stops it, so the loop really runs, as it does in Python.
// Time is scaled: range(10**8) -> range(6 * 10**7), about 0.05-0.1 s per call here.
//
// Run: ./porting_s17_threads_vs_processes_threads

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <system_error>
#include <thread>

namespace {

constexpr std::int64_t kN = 60'000'000;
constexpr std::int64_t kExpected = kN * (kN - 1) / 2;

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// GCC/Clang: tells the optimiser `v` may have changed, so it cannot fold the loop away.
inline void keep_loop(std::int64_t& v) {
  asm volatile("" : "+r"(v));
}

std::int64_t do_actions() {
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < kN; ++i) {
    count += i;
    keep_loop(count);
  }
  return count;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  auto start = std::chrono::steady_clock::now();
  const std::array<std::int64_t, 2> serial{do_actions(), do_actions()};
  const double serial_s = seconds_since(start);
  std::cout << "serial:    spent time : " << serial_s << " s\n";

  // Two threads.
  std::array<std::int64_t, 2> by_thread{};
  start = std::chrono::steady_clock::now();
  {
    std::jthread action_thread1([&] { by_thread[0] = do_actions(); });
    std::jthread action_thread2([&] { by_thread[1] = do_actions(); });
  }
  const double threads_s = seconds_since(start);
  std::cout << "threads:   spent time : " << threads_s << " s (speed-up " << serial_s / threads_s
            << "x)\n";

  // Two processes. (Forked after the threads above are joined: fork() copies only the calling
  // thread, so forking while other threads hold locks is asking for trouble.) Each child sends
  // its sum back through a pipe — the copy Python's multiprocessing does with pickling.
  std::array<std::int64_t, 2> by_process{};
  start = std::chrono::steady_clock::now();
  std::array<pid_t, 2> pids{};
  std::array<int, 2> result_fds{};
  std::cout.flush();
  for (int p = 0; p < 2; ++p) {
    int fds[2];
    if (pipe(fds) != 0) fail("pipe");
    pids[p] = fork();
    if (pids[p] < 0) fail("fork");
    if (pids[p] == 0) {
      close(fds[0]);
      const std::int64_t sum = do_actions();
      const bool sent = write(fds[1], &sum, sizeof sum) == sizeof sum;
      _exit(sent ? 0 : 1);
    }
    close(fds[1]);
    result_fds[p] = fds[0];
  }
  bool processes_ok = true;
  for (int p = 0; p < 2; ++p) {
    processes_ok &= read(result_fds[p], &by_process[p], sizeof by_process[p]) ==
                    static_cast<ssize_t>(sizeof by_process[p]);
    close(result_fds[p]);
    int status = 0;
    if (waitpid(pids[p], &status, 0) < 0) fail("waitpid");
    processes_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  const double processes_s = seconds_since(start);
  std::cout << "processes: spent time : " << processes_s << " s (speed-up "
            << serial_s / processes_s << "x)\n";

  for (int k = 0; k < 2; ++k) {
    processes_ok &=
        serial[k] == kExpected && by_thread[k] == kExpected && by_process[k] == kExpected;
  }
  if (!processes_ok) {
    std::cout << "S17 FAILED: thread sums " << by_thread[0] << ", " << by_thread[1]
              << "; process sums " << by_process[0] << ", " << by_process[1] << '\n';
    return 1;
  }
  std::cout << "S17 done: sum=" << kExpected << " from 2 threads and from 2 processes\n";
  return 0;
}

// S1 (seeds 000, 004) — the main thread starts a sub-thread `thread_func("First")` that logs,
// sleeps 3 s and logs again; main joins it (or, with the join commented out, does not).
//
// What it shows: start/join. A thread runs beside main; main waits for it only where it joins.
// In Python, a non-daemon thread that is not joined still keeps the process alive after main's
// last line. C++ has no such rule: destroying a joinable std::thread calls std::terminate. The
// C++20 answer for "don't join explicitly" is std::jthread, whose destructor joins — so the wait
// still happens, just at the end of the scope instead of at a join() call.
//
// Time is scaled: the 3 s sleep is 300 ms.
//
// Run: ./porting_s01_start_join_threads

#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <string>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

const auto t0 = std::chrono::steady_clock::now();

// Stands in for Python's logging with "%(asctime)s": elapsed ms instead of wall-clock time.
// osyncstream emits the whole line at once, so lines from different threads never interleave.
void log(const std::string& message) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::osyncstream(std::cout) << std::setw(5) << ms.count() << " ms: " << message << '\n';
}

std::atomic<int> finished{0};

void thread_func(const std::string& name) {
  log("Sub-thread " + name + ": starting");
  std::this_thread::sleep_for(300ms);  // scaled from time.sleep(3)
  log("Sub-thread " + name + ": finishing");
  finished.fetch_add(1);
}

// The seed as written: x.start(); x.join(). Main's next line waits for the sub-thread.
void with_join() {
  log("Main-thread: before creating thread");
  // std::thread starts running at construction; there is no separate start().
  std::thread x(thread_func, "First");
  log("Main-thread: before running thread");
  x.join();
  log("Main-thread: wait for the thread to finish");
  log("Main-thread: ALL DONE.");
}

// The seed with x.join() commented out. Main's log lines come first; the sub-thread finishes
// later. Python waits for it at interpreter exit; here the jthread destructor waits at '}'.
void without_join() {
  log("Main-thread: before creating thread");
  std::jthread y(thread_func, "Second");
  log("Main-thread: not joining explicitly");
  log("Main-thread: ALL DONE. (the jthread destructor still waits for the sub-thread)");
}

}  // namespace

int main() {
  with_join();
  without_join();
  const int n = finished.load();
  if (n != 2) {
    std::cout << "S01 FAILED: finished=" << n << '\n';
    return 1;
  }
  std::cout << "S01 done: finished=" << n << '\n';
  return 0;
}

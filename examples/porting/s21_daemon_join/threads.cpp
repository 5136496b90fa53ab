// S21 (seed 003) — a thread named "daemon" logs "Start", sleeps 5 s, logs "Exit"; it is made a
// daemon (`setDaemon(True)`), started, and main prints "end of main" — once without `join()`
// (the notes expected "Exit" never to appear, yet saw it 5 s later — probably an interpreter that
// kept running, as in an IDE; the listing as printed, `if __name__=="_main__":`, would not run
// main() at all), once with `join()` ("Start", "Exit", "end of main").
//
// What it shows: the same as S2 — what happens to background work at shutdown.
// C++ has no daemon threads, and a detached thread still running when main returns races with the
// destruction of globals such as std::cout (undefined behaviour; sanitizers report it). So:
//  - "daemon, no join": a std::jthread whose 5 s sleep is a stop-aware wait. Leaving main's scope
//    runs ~jthread: request_stop() wakes the thread at once, it logs and ends, and is joined. The
//    5 s is not scaled because it is never waited out.
//  - "with join": the thread sleeps its full time (scaled: 5 s -> 300 ms) and main waits for it,
//    so "Exit" comes before "end of main".
//
// Run: ./porting_s21_daemon_join_threads

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <stop_token>
#include <string>
#include <syncstream>
#include <thread>

namespace {

using namespace std::chrono_literals;

void log(const std::string& thread_name, const std::string& message) {
  std::osyncstream(std::cout) << "(" << thread_name << ") " << message << '\n';
}

std::atomic<int> cut_short{0};
std::atomic<int> slept_out{0};

void daemon_thread(std::stop_token stop, std::chrono::milliseconds sleep) {
  log("daemon", "Start");
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  // time.sleep(sleep), but over as soon as someone calls request_stop().
  cv.wait_for(lock, stop, sleep, [] { return false; });
  if (stop.stop_requested()) {
    log("daemon", "Exit (stop requested: shutting down)");
    cut_short.fetch_add(1);
  } else {
    log("daemon", "Exit");
    slept_out.fetch_add(1);
  }
}

}  // namespace

int main() {
  {
    std::jthread t(daemon_thread, std::chrono::milliseconds(5s));  // not scaled: see header
    log("MainThread", "end of main (no join)");
  }  // ~jthread: request_stop() + join()

  {
    std::jthread t(daemon_thread, std::chrono::milliseconds(300ms));  // scaled from 5 s
    t.join();
    log("MainThread", "end of main (after join)");
  }

  if (cut_short.load() != 1 || slept_out.load() != 1) {
    std::cout << "S21 FAILED: cut_short=" << cut_short.load() << " slept_out=" << slept_out.load()
              << '\n';
    return 1;
  }
  std::cout << "S21 done: unjoined daemon stopped at shutdown, joined daemon ran to Exit\n";
  return 0;
}

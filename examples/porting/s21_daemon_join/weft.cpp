// S21 (seed 003), weft version — a background worker named "daemon" logs "Start", sleeps 5 s,
// logs "Exit"; main prints "end of main" — once without joining it, once with join.
//
// What changed from threads.cpp, and why:
//  - "daemon, no join" is weft::spawn_detached(daemon(5s), loop, "daemon"): fire-and-forget, said
//    explicitly. When the main task ends, io_loop::run() does what threads.cpp's ~jthread does by
//    hand: it requests stop on the detached tasks (they carry the loop's stop token), and keeps
//    running until they have ended. The daemon's `co_await weft::sleep_for(5s)` ends at once with
//    weft::operation_cancelled; the daemon logs and rethrows (a cancelled detached task is not an
//    error). Nothing outlives run(), so nothing races with static destruction. The 5 s is not
//    scaled, because it is never waited out.
//  - "with join" spawns the same coroutine into a task_scope and joins it: it sleeps its full time
//    (scaled: 5 s -> 300 ms), so "Exit" comes before "end of main".
//  - The "(name) message" lines go to stdout, as in threads.cpp, so that their order is checked;
//    all of them are written by the one loop thread.
//
// Run: ./porting_s21_daemon_join_weft

#include <weft/cancellation.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/spawn_detached.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/yield.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace {

using namespace std::chrono_literals;
using weft::task;

void log(const char* thread_name, const char* message) {
  fmt::print("({}) {}\n", thread_name, message);
  std::fflush(stdout);
}

int cut_short = 0;  // loop thread only
int slept_out = 0;

task<void> daemon(std::chrono::milliseconds sleep) {
  log("daemon", "Start");
  try {
    co_await weft::sleep_for(sleep);
  } catch (const weft::operation_cancelled&) {
    log("daemon", "Exit (stop requested: shutting down)");
    ++cut_short;
    throw;
  }
  log("daemon", "Exit");
  ++slept_out;
}

task<void> without_join() {
  weft::spawn_detached(daemon(5s), weft::io_loop::current(), "daemon");  // not scaled: see header
  co_await weft::yield();  // let the daemon start (it runs once main suspends)
  log("MainThread", "end of main (no join)");
}  // run() now requests stop on the daemon and waits for it

task<void> with_join() {
  weft::task_scope scope{"main"};
  scope.spawn(daemon(300ms), "daemon");  // scaled from 5 s
  co_await scope.join();
  log("MainThread", "end of main (after join)");
}

}  // namespace

int main() {
  weft::run(without_join());
  weft::run(with_join());
  if (cut_short != 1 || slept_out != 1) {
    fmt::print("S21 FAILED (weft): cut_short={} slept_out={}\n", cut_short, slept_out);
    return 1;
  }
  fmt::print(
      "S21 done (weft): detached daemon stopped and drained at shutdown, joined daemon ran "
      "to Exit\n");
  return 0;
}

// S16 (seed 002), weft version — S15 with `multiprocessing.Process` and a `multiprocessing.Event`:
// the child process counts every second until the event is set; the parent `join(timeout=10)`s
// it, sets the event and prints "timed out!".
//
// What changed from threads.cpp, and why — the point: the same shape as S15, across a process.
//  - S15's weft version waits for a worker coroutine with `weft::within(... wait(), 300ms)` and
//    stops it with an event. Here the worker is a child *process*, and the parent's code keeps that
//    shape: `co_await weft::within(child.wait(), 300ms)` is join(timeout), an empty result is
//    "timed out", and then it sets the event and waits for the child for real. process::wait()
//    is an awaitable like any other (a pidfd polled through the ring), so timeouts, when_all and
//    cancellation apply to a child process exactly as to a coroutine.
//  - The "process Event" is the child's stdin pipe: set() is closing the parent's end, and the
//    child sees end of file. threads.cpp shares an eventfd through fork(); a spawned program
//    inherits only descriptors 0, 1 and 2 (weft opens everything else close-on-exec), and a pipe
//    on stdin is the portable way to hand it one. Like Event, once set it stays set: end of file
//    is seen by every later read.
//  - The child is this same program started again with "--child" (/proc/self/exe), and it is a
//    weft program too: its tick, "sleep 1 s unless the event is set", is
//    `co_await weft::within([&] { return stop_event.read_some(byte); }, 30ms)` — the S15 tick with
//    a pipe read in place of event.wait().
//  - No fork(): process::spawn is posix_spawn, which execs at once. The fork rules of
//    threads.cpp (flush stdout before forking, _exit in the child) do not apply — nothing of the
//    parent's memory, stdio buffers included, reaches the child.
//
// Time is scaled as in threads.cpp: 1 s per count -> 30 ms, join timeout 10 s -> 300 ms.
//
// Run: ./porting_s16_process_event_weft

#include <weft/io_loop.hpp>
#include <weft/pipe.hpp>
#include <weft/process.hpp>
#include <weft/task.hpp>
#include <weft/timeout.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string_view>

namespace {

using namespace std::chrono_literals;
using weft::task;

// The child: count until the parent's end of our stdin is closed. Returns the last count.
task<int> do_actions(int start_value) {
  weft::pipe_reader stop_event{weft::unique_fd{::dup(STDIN_FILENO)}};
  std::array<std::byte, 1> byte;
  int i = start_value;
  for (;;) {
    i += 1;
    fmt::print("{}\n", i);
    std::fflush(stdout);  // the parent shares this stdout
    // time.sleep(1) + is_set(), but wakes as soon as the event is set (end of file).
    std::optional<std::size_t> got =
        co_await weft::within([&] { return stop_event.read_some(byte); }, 30ms);
    if (got) break;
  }
  fmt::print("child: stop event seen after {}\n", i);
  std::fflush(stdout);
  co_return i;
}

struct Results {
  bool join_timed_out = false;
  weft::exit_status status = weft::exit_status::exited_with(-1);
};

task<Results> parent() {
  Results r;
  weft::process child = weft::process::spawn({"/proc/self/exe", "--child"},
                                             weft::process_options().std_in(weft::stdio::pipe()));
  // process.join(timeout=10)
  std::optional<weft::exit_status> joined = co_await weft::within(child.wait(), 300ms);
  r.join_timed_out = !joined;
  co_await child.std_in().close();  // stop_event.set()
  fmt::print("timed out!\n");
  std::fflush(stdout);
  if (!joined) joined = co_await child.wait();  // process.join()
  r.status = *joined;
  co_return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view{argv[1]} == "--child") {
    weft::run(do_actions(0));
    return 0;
  }
  const Results r = weft::run(parent());
  if (!r.join_timed_out || !r.status.success()) {
    fmt::print("S16 FAILED (weft): timed_out={} status={}\n", r.join_timed_out,
               r.status.to_string());
    return 1;
  }
  fmt::print("S16 done (weft): join timed out, child stopped by the process event, {}\n",
             r.status.to_string());
  return 0;
}

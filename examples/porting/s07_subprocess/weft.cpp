// S7 (seed 001, Effective Python item 52), weft version — child processes with `subprocess`:
//   1. `run(['echo', 'hello from subprocess!'], capture_output=True)` and print its stdout;
//   2. `Popen(['sleep', '1'])` polled with `poll()` while the parent keeps working;
//   3. ten `Popen(['sleep', '1'])` at once, all done in ~1 s instead of ~10 s;
//   4. three `encrypt | hash` pipelines, the first child's stdout feeding the second's stdin;
//   5. `Popen(['sleep', '10'])`, `communicate(timeout=0.1)` times out, `terminate()`, status -15.
//
// What changed from threads.cpp, and why:
//  - run(capture_output=True) is `co_await weft::run_command(argv)`: it pipes stdout and stderr,
//    reads both at once and waits. threads.cpp has to read to EOF *before* waitpid by hand (a
//    child blocked on a full pipe never exits); run_command cannot get that order wrong.
//  - Popen + poll(): `proc.try_wait()` is poll(), and between polls the "work" is a
//    `co_await weft::sleep_for` on the loop, so other coroutines could run meanwhile. Then the
//    weft way, which needs no polling at all: `co_await proc.wait()` in one coroutine while another
//    does the work, both under when_all. The child's pidfd, polled through the ring, wakes the
//    loop exactly when the child ends (threads.cpp wakes every 5 ms to ask).
//  - Ten children: spawn ten, then one when_all over their wait()s — ten waits in flight on one
//    thread, finished in ~0.2 s.
//  - Pipelines: `stdio::pipe()` and `stdio::from(std::move(encrypt.std_out()))` replace pipe2 +
//    posix_spawn_file_actions + closing the parent's copy of the hash child's stdin (spawn closes
//    it: the seed's `encrypt_proc.stdout.close()` is done for you). Each child's
//    communicate() writes its input and reads its output concurrently, so there is no "100 bytes
//    fit in the pipe buffer" caveat, and the three pipelines — six children — run at once under
//    one when_all.
//  - communicate(timeout=0.1): `co_await proc.communicate({}, 100ms)` yields a result whose
//    timed_out() is true (Python raises TimeoutExpired); the child still runs. terminate() and a
//    second communicate() (it drains the pipes, then reaps) give the status "killed by SIGTERM",
//    which Python spells returncode -15. No 5 ms polling loop with a deadline.
//  - Errors: a missing program is a std::system_error from spawn ("spawn sleeep: No such file or
//    directory"), not a child that exits 127.
//
// Time is scaled as in threads.cpp: `sleep 1` is `sleep 0.2`. The 0.1 s timeout is kept.
//
// Run: ./porting_s07_subprocess_weft

#include <weft/io_loop.hpp>
#include <weft/process.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/when_all.hpp>

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using weft::process;
using weft::process_options;
using weft::stdio;
using weft::task;

// Python's returncode: the exit code, or -signal if a signal killed the child.
int returncode(const weft::exit_status& status) {
  return status.killed() ? -status.signal() : status.code();
}

// sha256sum prints "<64 hex digits>  -\n" for stdin.
bool is_sha256sum_line(const std::string& out) {
  if (out.size() != 68 || out.compare(64, 4, "  -\n") != 0) return false;
  return out.find_first_not_of("0123456789abcdef") == 64;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Results {
  bool run_ok = false;
  bool poll_ok = false;
  int parallel_ok = 0;
  int pipelines_ok = 0;
  int timeout_rc = 0;
};

// 2. The parent's "time-consuming work": a few steps on the loop.
task<int> work_while_waiting(int steps) {
  for (int i = 0; i < steps; ++i)
    co_await weft::sleep_for(5ms);
  co_return steps;
}

// 4. One encrypt | hash pipeline: both children driven concurrently.
task<bool> pipeline(int i) {
  std::string data = "item " + std::to_string(i) + ": ";
  data.resize(100, 'x');  // 100 bytes, as os.urandom(100)
  process encrypt_proc =
      process::spawn({"tr", "A-Za-z", "N-ZA-Mn-za-m"},
                     process_options().std_in(stdio::pipe()).std_out(stdio::pipe()));
  process hash_proc =
      process::spawn({"sha256sum"}, process_options()
                                        .std_in(stdio::from(std::move(encrypt_proc.std_out())))
                                        .std_out(stdio::pipe()));
  auto [encrypted, hashed] =
      co_await weft::when_all(encrypt_proc.communicate(std::move(data)), hash_proc.communicate());
  const bool ok =
      encrypted.status->success() && hashed.status->success() && is_sha256sum_line(hashed.std_out);
  fmt::print("hash: {}\n", ok ? "..." + hashed.std_out.substr(54, 10) : "bad output");
  co_return ok;
}

task<Results> main_task() {
  Results r;

  // 1. run(..., capture_output=True); check_returncode(); print(stdout)
  std::vector<std::string> echo{"echo", "hello from subprocess!"};
  weft::command_result result = co_await weft::run_command(std::move(echo));
  fmt::print("{}", result.std_out);
  r.run_ok = result.status.success() && result.std_out == "hello from subprocess!\n";

  // 2. Popen + poll loop, as the seed writes it: try_wait() is poll().
  process sleeper = process::spawn({"sleep", "0.2"});
  std::optional<weft::exit_status> polled;
  int rounds = 0;
  while (!(polled = sleeper.try_wait())) {
    if (rounds++ % 10 == 0) fmt::print("on working...\n");
    co_await weft::sleep_for(5ms);  // "time-consuming work"; the loop is free meanwhile
  }
  fmt::print("exit status: {} (after {} polls)\n", returncode(*polled), rounds);
  // ... and without polling: wait for the child while the work runs, on the same thread.
  process sleeper2 = process::spawn({"sleep", "0.2"});
  auto [status2, steps] = co_await weft::when_all(sleeper2.wait(), work_while_waiting(10));
  fmt::print("exit status: {} (awaited while {} work steps ran, no polls)\n", returncode(status2),
             steps);
  r.poll_ok = polled->success() && status2.success();

  // 3. Ten children at once, one wait each, all in flight together.
  auto start = std::chrono::steady_clock::now();
  std::vector<process> sleep_procs;
  for (int i = 0; i < 10; ++i)
    sleep_procs.push_back(process::spawn({"sleep", "0.2"}));
  std::vector<task<weft::exit_status>> waits;
  for (process& proc : sleep_procs)
    waits.push_back(proc.wait());
  for (const weft::exit_status& status : co_await weft::when_all(std::move(waits)))
    r.parallel_ok += status.success();
  fmt::print("10 sleeps (0.2 s each) finished in {:.2f} s\n", seconds_since(start));

  // 4. Pipelines encrypt | hash, three at once (six children).
  std::vector<task<bool>> pipelines;
  for (int i = 0; i < 3; ++i)
    pipelines.push_back(pipeline(i));
  for (bool ok : co_await weft::when_all(std::move(pipelines)))
    r.pipelines_ok += ok;

  // 5. communicate(timeout=0.1) -> TimeoutExpired -> terminate(); wait().
  process slow = process::spawn({"sleep", "10"});
  weft::communicate_result first = co_await slow.communicate({}, 100ms);
  weft::exit_status final_status = weft::exit_status::exited_with(0);
  if (first.timed_out()) {
    fmt::print("timed out after 0.1 s, terminating\n");
    slow.terminate();
    weft::communicate_result rest = co_await slow.communicate();  // drains, then reaps
    final_status = *rest.status;
  } else {
    final_status = *first.status;
  }
  r.timeout_rc = returncode(final_status);
  fmt::print("exit status: {} ({})\n", r.timeout_rc, final_status.to_string());
  co_return r;
}

}  // namespace

int main() {
  const Results r = weft::run(main_task());
  if (!r.run_ok || !r.poll_ok || r.parallel_ok != 10 || r.pipelines_ok != 3 ||
      r.timeout_rc != -15) {
    fmt::print("S07 FAILED (weft): run={} poll={} parallel={} pipelines={} rc={}\n", r.run_ok,
               r.poll_ok, r.parallel_ok, r.pipelines_ok, r.timeout_rc);
    return 1;
  }
  fmt::print("S07 done (weft): run=ok poll=0 parallel=10 pipelines=3 timeout=SIGTERM(-15)\n");
  return 0;
}

// S7 (seed 001, Effective Python item 52) — child processes with `subprocess`:
//   1. `run(['echo', 'hello from subprocess!'], capture_output=True)` and print its stdout;
//   2. `Popen(['sleep', '1'])` polled with `poll()` while the parent keeps working;
//   3. ten `Popen(['sleep', '1'])` at once, all done in ~1 s instead of ~10 s;
//   4. three `encrypt | hash` pipelines, the first child's stdout feeding the second's stdin;
//   5. `Popen(['sleep', '10'])`, `communicate(timeout=0.1)` times out, `terminate()`, status -15.
//
// What it shows: run, wait, pipe, time out, kill — in C++ with POSIX: posix_spawnp + pipes +
// waitpid + kill. There are no threads here; children run in parallel with the parent anyway.
// The seed's run_encrypt/run_hash use openssl; here `tr` (rot13) is the "encryption" and
// `sha256sum` the hash, both from coreutils, and the data is fixed text instead of os.urandom.
//
// Time is scaled: `sleep 1` is `sleep 0.2`. The 0.1 s timeout is kept.
//
// Run: ./porting_s07_subprocess_threads

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;

[[noreturn]] void fail(const char* what, int err = errno) {
  throw std::system_error(err, std::generic_category(), what);
}

// Python's returncode: the exit code, or -signal if a signal killed the child.
int returncode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return 255;
}

// poll() result while the child still runs (Python returns None).
constexpr int kRunning = -1000;

// A started child: like Popen, with the parent's ends of any pipes we asked for.
struct Popen {
  pid_t pid = -1;
  int stdin_fd = -1;   // parent writes here (stdin=PIPE)
  int stdout_fd = -1;  // parent reads here (stdout=PIPE)

  int wait() const {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) fail("waitpid");
    }
    return returncode(status);
  }

  // kRunning while the child runs; else its returncode (and the child is reaped).
  int poll() const {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r < 0) fail("waitpid");
    return r == 0 ? kRunning : returncode(status);
  }
};

// stdin_from: an fd the child reads as stdin (another child's stdout), or -1.
Popen spawn(const std::vector<std::string>& args, bool pipe_stdin, bool pipe_stdout,
            int stdin_from = -1) {
  // O_CLOEXEC on every pipe end: each child must hold only the ends dup2'ed onto its 0/1, or a
  // stray write end kept open in some other child means a reader never sees EOF.
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (pipe_stdin && pipe2(in, O_CLOEXEC) != 0) fail("pipe2");
  if (pipe_stdout && pipe2(out, O_CLOEXEC) != 0) fail("pipe2");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (pipe_stdin) posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  if (stdin_from >= 0) posix_spawn_file_actions_adddup2(&actions, stdin_from, STDIN_FILENO);
  if (pipe_stdout) posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);

  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  Popen child;
  const int err = posix_spawnp(&child.pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) fail("posix_spawnp", err);

  // The child has its copies now; keep only the parent's ends.
  if (pipe_stdin) {
    close(in[0]);
    child.stdin_fd = in[1];
  }
  if (pipe_stdout) {
    close(out[1]);
    child.stdout_fd = out[0];
  }
  return child;
}

std::string read_all(int fd) {
  std::string data;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return data;
    } else if (errno != EINTR) {
      fail("read");
    }
  }
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno != EINTR) fail("write");
    if (n > 0) done += static_cast<std::size_t>(n);
  }
}

// sha256sum prints "<64 hex digits>  -\n" for stdin.
bool is_sha256sum_line(const std::string& out) {
  if (out.size() != 68 || out.compare(64, 4, "  -\n") != 0) return false;
  return out.find_first_not_of("0123456789abcdef") == 64;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  // 1. run(..., capture_output=True); check_returncode(); print(stdout)
  Popen echo = spawn({"echo", "hello from subprocess!"}, false, true);
  const std::string echoed = read_all(echo.stdout_fd);  // read to EOF *before* waiting
  close(echo.stdout_fd);
  const int echo_rc = echo.wait();
  std::cout << echoed;
  const bool run_ok = echo_rc == 0 && echoed == "hello from subprocess!\n";

  // 2. Popen + poll loop: the parent does its own work while the child runs.
  Popen sleeper = spawn({"sleep", "0.2"}, false, false);
  int rc = kRunning;
  int rounds = 0;
  while ((rc = sleeper.poll()) == kRunning) {
    if (rounds++ % 10 == 0) std::cout << "on working...\n";
    std::this_thread::sleep_for(5ms);  // "time-consuming work"
  }
  std::cout << "exit status: " << rc << " (after " << rounds << " polls)\n";
  const bool poll_ok = rc == 0;

  // 3. Ten children at once: they run in parallel, so ~0.2 s in total, not ~2 s.
  auto start = std::chrono::steady_clock::now();
  std::vector<Popen> sleep_procs;
  for (int i = 0; i < 10; ++i)
    sleep_procs.push_back(spawn({"sleep", "0.2"}, false, false));
  int parallel_ok = 0;
  for (const auto& proc : sleep_procs)
    parallel_ok += proc.wait() == 0;
  std::cout << "10 sleeps (0.2 s each) finished in " << seconds_since(start) << " s\n";

  // 4. Pipelines encrypt | hash, three at once. The hash child reads the encrypt child's stdout
  // directly; the parent closes its copy of that fd (the seed's `encrypt_proc.stdout.close()`)
  // so that only the hash child holds it.
  std::vector<Popen> encrypt_procs;
  std::vector<Popen> hash_procs;
  for (int i = 0; i < 3; ++i) {
    std::string data = "item " + std::to_string(i) + ": ";
    data.resize(100, 'x');  // 100 bytes, as os.urandom(100)
    Popen encrypt_proc = spawn({"tr", "A-Za-z", "N-ZA-Mn-za-m"}, true, true);
    Popen hash_proc = spawn({"sha256sum"}, false, true, encrypt_proc.stdout_fd);
    close(encrypt_proc.stdout_fd);
    encrypt_proc.stdout_fd = -1;
    // 100 bytes fit in the pipe buffer; for big inputs write and read concurrently (that is what
    // communicate() does) or the parent and child can block on each other.
    write_all(encrypt_proc.stdin_fd, data);
    close(encrypt_proc.stdin_fd);  // EOF for tr
    encrypt_procs.push_back(encrypt_proc);
    hash_procs.push_back(hash_proc);
  }
  int pipelines_ok = 0;
  for (const auto& proc : encrypt_procs)
    pipelines_ok += proc.wait() == 0;
  for (const auto& proc : hash_procs) {
    const std::string out = read_all(proc.stdout_fd);
    close(proc.stdout_fd);
    const bool ok = proc.wait() == 0 && is_sha256sum_line(out);
    std::cout << "hash: " << (ok ? "..." + out.substr(54, 10) : "bad output") << '\n';
    pipelines_ok += ok;
  }

  // 5. communicate(timeout=0.1) -> TimeoutExpired -> terminate(); wait().
  Popen slow = spawn({"sleep", "10"}, false, false);
  start = std::chrono::steady_clock::now();
  rc = kRunning;
  while ((rc = slow.poll()) == kRunning && seconds_since(start) < 0.1) {
    std::this_thread::sleep_for(5ms);  // a pidfd + poll() would sleep exactly until the deadline
  }
  if (rc == kRunning) {
    std::cout << "timed out after 0.1 s, terminating\n";
    kill(slow.pid, SIGTERM);
    rc = slow.wait();
  }
  std::cout << "exit status: " << rc << (rc == -SIGTERM ? " (killed by SIGTERM)" : "") << '\n';

  if (!run_ok || !poll_ok || parallel_ok != 10 || pipelines_ok != 6 || rc != -SIGTERM) {
    std::cout << "S07 FAILED: run=" << run_ok << " poll=" << poll_ok << " parallel=" << parallel_ok
              << " pipelines=" << pipelines_ok << " rc=" << rc << '\n';
    return 1;
  }
  std::cout << "S07 done: run=ok poll=0 parallel=10 pipelines=3 timeout=SIGTERM(-15)\n";
  return 0;
}

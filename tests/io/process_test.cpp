#include <weft/io_loop.hpp>
#include <weft/offload.hpp>
#include <weft/pipe.hpp>
#include <weft/process.hpp>
#include <weft/sleep.hpp>
#include <weft/thread_pool.hpp>
#include <weft/timeout.hpp>
#include <weft/when_all.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../support/fd_count.hpp"

using namespace std::chrono_literals;
using weft::exit_status;
using weft::stdio;
using weft::task;

namespace {

/// The "State:" letter of /proc/<pid>/status ('R', 'S', 'Z', ...), or 0 once the pid is gone.
char process_state(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("State:", 0) == 0) return line.at(line.find_first_not_of(" \t", 6));
  return 0;
}

/// Waits (plain thread, up to 5 s) until /proc/<pid> is gone: the child was reaped.
bool reaped_within_5s(pid_t pid) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms))
    if (process_state(pid) == 0) return true;
  return false;
}

/// Blocks until the child has ended, without reaping it (it stays a zombie).
void wait_until_exited_unreaped(const weft::process& proc) {
  siginfo_t info{};
  REQUIRE(::waitid(P_PIDFD, static_cast<id_t>(proc.native_handle()), &info, WEXITED | WNOWAIT) ==
          0);
}

/// A fresh directory under /tmp, removed with everything in it at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char name[] = "/tmp/weft-process-XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = name;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("run_command captures what echo prints", "[io][process]") {
  weft::command_result r = weft::run([]() -> task<weft::command_result> {
    // (GCC 12 cannot compile a braced argv list inside a co_await expression: "array used as
    // initializer". Build the argv in its own statement.)
    std::vector<std::string> argv{"echo", "hello from subprocess!"};
    co_return co_await weft::run_command(std::move(argv));
  }());
  CHECK(r.std_out == "hello from subprocess!\n");
  CHECK(r.std_err.empty());
  CHECK(r.status == exit_status::exited_with(0));
  CHECK(r.status.success());
  CHECK(r.status.to_string() == "exited with 0");
}

TEST_CASE("a child writing 1 MiB to stdout and 1 MiB to stderr does not deadlock",
          "[io][process]") {
  weft::command_result r = weft::run([]() -> task<weft::command_result> {
    co_return co_await weft::run_command(weft::shell_command(
        "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero | tr '\\0' e >&2"));
  }());
  CHECK(r.status.success());
  CHECK(r.std_out.size() == 1048576);
  CHECK(r.std_err.size() == 1048576);
  CHECK(r.std_out.find_first_not_of('\0') == std::string::npos);
  CHECK(r.std_err.find_first_not_of('e') == std::string::npos);
}

TEST_CASE("ten sleep 1 children waited concurrently finish in well under ten seconds",
          "[io][process]") {
  auto start = std::chrono::steady_clock::now();
  std::vector<exit_status> statuses = weft::run([]() -> task<std::vector<exit_status>> {
    std::vector<weft::process> children;
    for (int i = 0; i < 10; ++i)
      children.push_back(weft::process::spawn({"sleep", "1"}));
    std::vector<task<exit_status>> waits;
    for (auto& child : children)
      waits.push_back(child.wait());
    co_return co_await weft::when_all(std::move(waits));
  }());
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(statuses.size() == 10);
  for (const exit_status& s : statuses)
    CHECK(s == exit_status::exited_with(0));
  // Not a speed check: serial waits would take ten seconds; the issue asks only for "well under
  // ten" to prove the waits overlap.
  CHECK(elapsed < 5s);
}

TEST_CASE("a three-stage pipeline printf | tr | wc gives the right answer", "[io][process]") {
  auto [count, statuses] =
      weft::run([]() -> task<std::pair<std::string, std::vector<exit_status>>> {
        weft::process words = weft::process::spawn({"printf", "one two\\nthree four five\\n"},
                                                   weft::process_options().std_out(stdio::pipe()));
        // Each child's stdout becomes the next one's stdin; spawn closes the parent's copy, so
        // the last stage sees end of file when the first two are done.
        weft::process lines = weft::process::spawn(
            {"tr", " ", "\\n"}, weft::process_options()
                                    .std_in(stdio::from(std::move(words.std_out())))
                                    .std_out(stdio::pipe()));
        weft::process counter =
            weft::process::spawn({"wc", "-l"}, weft::process_options()
                                                   .std_in(stdio::from(std::move(lines.std_out())))
                                                   .std_out(stdio::pipe()));
        CHECK_FALSE(words.std_out());
        weft::communicate_result r = co_await counter.communicate();
        std::vector<exit_status> all;
        all.push_back(co_await words.wait());
        all.push_back(co_await lines.wait());
        all.push_back(*r.status);
        co_return std::pair{r.std_out, all};
      }());
  CHECK(count == "5\n");
  for (const exit_status& s : statuses)
    CHECK(s.success());
}

TEST_CASE("communicate times out on sleep 10, then terminate ends it by SIGTERM", "[io][process]") {
  auto start = std::chrono::steady_clock::now();
  weft::run([]() -> task<void> {
    weft::process proc = weft::process::spawn({"sleep", "10"});
    weft::communicate_result r = co_await proc.communicate({}, 100ms);
    CHECK(r.timed_out());
    CHECK_FALSE(proc.try_wait());  // still running: a timeout leaves the child alone
    proc.terminate();
    weft::communicate_result rest = co_await proc.communicate();
    REQUIRE_FALSE(rest.timed_out());
    CHECK(*rest.status == exit_status::killed_by(SIGTERM));
    CHECK(rest.status->killed());
    CHECK(rest.status->signal() == SIGTERM);
    CHECK(rest.status->to_string() == "killed by SIGTERM");
  }());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("output read before a communicate timeout is kept in the result", "[io][process]") {
  weft::run([]() -> task<void> {
    weft::process proc =
        weft::process::spawn(weft::shell_command("echo partial; echo oops >&2; exec sleep 10"),
                             weft::process_options().std_out(stdio::pipe()).std_err(stdio::pipe()));
    weft::communicate_result r = co_await proc.communicate({}, 500ms);
    CHECK(r.timed_out());
    CHECK(r.std_out == "partial\n");
    CHECK(r.std_err == "oops\n");
    proc.terminate();
    weft::communicate_result rest = co_await proc.communicate();
    CHECK(rest.std_out.empty());  // the pipes were drained to their end by the second call
    CHECK(rest.status == exit_status::killed_by(SIGTERM));
  }());
}

TEST_CASE("weft::within on wait, then terminate and wait again", "[io][process]") {
  weft::run([]() -> task<void> {
    weft::process proc = weft::process::spawn({"sleep", "10"});
    std::optional<exit_status> status = co_await weft::within(proc.wait(), 50ms);
    CHECK_FALSE(status);
    if (!status) {
      proc.terminate();
      status = co_await proc.wait();
    }
    CHECK(status == exit_status::killed_by(SIGTERM));
  }());
}

TEST_CASE("a missing executable is an error at spawn, not exit status 127", "[io][process]") {
  std::error_code code;
  std::string what;
  try {
    (void)weft::process::spawn({"no-such-prog", "--flag"});
  } catch (const std::system_error& e) {
    code = e.code();
    what = e.what();
  }
  CHECK(code == std::error_code(ENOENT, std::system_category()));
  CHECK(what == "spawn no-such-prog: No such file or directory");
  CHECK_THROWS_WITH(weft::process::spawn({"/no/such/program"}),
                    "spawn /no/such/program: No such file or directory");
  temp_dir dir;
  std::string not_executable = dir.path + "/data.txt";
  std::ofstream{not_executable} << "not a program\n";
  CHECK_THROWS_WITH(weft::process::spawn({not_executable}),
                    "spawn " + not_executable + ": Permission denied");
  CHECK_THROWS_AS(weft::process::spawn({}), std::invalid_argument);
}

TEST_CASE("a child killed by SIGKILL says so", "[io][process]") {
  weft::run([]() -> task<void> {
    weft::process proc = weft::process::spawn({"sleep", "10"});
    proc.kill();  // SIGKILL by default
    exit_status status = co_await proc.wait();
    CHECK(status.killed());
    CHECK(status.signal() == SIGKILL);
    CHECK_FALSE(status.exited());
    CHECK(status.code() == -1);
    CHECK(status.to_string() == "killed by SIGKILL");
    proc.kill(SIGTERM);  // reaped: nothing to signal, no error
    exit_status again = co_await proc.wait();
    CHECK(again == status);  // the kept status
  }());
}

TEST_CASE("an exit code other than zero is reported, not thrown", "[io][process]") {
  weft::command_result r = weft::run([]() -> task<weft::command_result> {
    co_return co_await weft::run_command(weft::shell_command("echo bad >&2; exit 3"));
  }());
  CHECK(r.status == exit_status::exited_with(3));
  CHECK(r.status.code() == 3);
  CHECK_FALSE(r.status.success());
  CHECK(r.status.to_string() == "exited with 3");
  CHECK(r.std_err == "bad\n");
}

TEST_CASE("try_wait is empty while the child runs, then reaps it", "[io][process]") {
  // No loop needed: try_wait and kill work on any thread.
  weft::process proc = weft::process::spawn({"sleep", "10"});
  CHECK_FALSE(proc.try_wait());
  CHECK(process_state(proc.pid()) != 'Z');
  proc.kill();
  wait_until_exited_unreaped(proc);
  CHECK(process_state(proc.pid()) == 'Z');
  CHECK(proc.try_wait() == exit_status::killed_by(SIGKILL));
  CHECK(process_state(proc.pid()) == 0);
  CHECK(proc.try_wait() == exit_status::killed_by(SIGKILL));
}

TEST_CASE("two coroutines waiting for the same child both get its status", "[io][process]") {
  weft::run([]() -> task<void> {
    weft::process proc = weft::process::spawn(weft::shell_command("sleep 0.05; exit 4"));
    auto [a, b] = co_await weft::when_all(proc.wait(), proc.wait());
    CHECK(a == exit_status::exited_with(4));
    CHECK(b == exit_status::exited_with(4));
  }());
}

TEST_CASE("destroying a process whose child still runs leaves no zombie", "[io][process]") {
  pid_t pid = 0;
  weft::run([](pid_t* out) -> task<void> {
    weft::process proc = weft::process::spawn({"sleep", "0.3"});
    *out = proc.pid();
    co_return;  // destroyed un-waited: the reaper thread takes over
  }(&pid));
  REQUIRE(pid > 0);
  char state = process_state(pid);
  CHECK((state != 0 && state != 'Z'));  // still running when its process object went
  CHECK(reaped_within_5s(pid));
  siginfo_t info{};
  int result = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
  int error = errno;
  CHECK(result == -1);
  CHECK(error == ECHILD);  // not our (unreaped) child any more
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WEFT_TEST_SANITIZED 1
#endif
#endif

TEST_CASE("a forked child reaps the children it drops with a reaper of its own", "[io][process]") {
#ifdef WEFT_TEST_SANITIZED
  // Loud skip: under ASan the forked child of this multi-threaded test process hung once (60 s
  // timeout, cause not found yet), and TSan ends such children unless die_after_fork=0. The
  // plain configuration runs it.
  WARN("SKIPPED under a sanitizer: fork() of a multi-threaded process (see the comment)");
  return;
#endif
  // The parent's reaper exists (a dropped child needs it); its thread does not survive fork().
  weft::run([]() -> task<void> {
    weft::process dropped = weft::process::spawn({"sleep", "0.05"});
    co_return;
  }());
  pid_t forked = ::fork();
  REQUIRE(forked >= 0);
  if (forked == 0) {
    // In the child: no Catch macros (they belong to the parent's test run); report by exit code.
    pid_t grandchild = 0;
    try {
      weft::run([](pid_t* out) -> task<void> {
        weft::process proc = weft::process::spawn({"sleep", "0.1"});
        *out = proc.pid();
        co_return;  // dropped un-waited: this process's reaper must reap it
      }(&grandchild));
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(grandchild > 0 && reaped_within_5s(grandchild) ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(forked, &status, 0) == forked);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 1: the grandchild was left a zombie
}

TEST_CASE("destroying a process whose child has exited reaps it at once", "[io][process]") {
  pid_t pid = 0;
  {
    weft::process proc = weft::process::spawn({"true"});
    pid = proc.pid();
    wait_until_exited_unreaped(proc);
    CHECK(process_state(pid) == 'Z');
  }
  CHECK(process_state(pid) == 0);
}

TEST_CASE("a moved-into process hands its previous child to the reaper", "[io][process]") {
  weft::process a = weft::process::spawn({"sleep", "0.1"});
  pid_t first = a.pid();
  a = weft::process::spawn({"true"});
  CHECK(a.pid() != first);
  CHECK(reaped_within_5s(first));
  weft::process b = std::move(a);
  CHECK_FALSE(a);
  wait_until_exited_unreaped(b);
  CHECK(b.try_wait() == exit_status::exited_with(0));
}

TEST_CASE("run_command cancelled by a timeout kills its child", "[io][process]") {
  temp_dir dir;
  std::string pid_file = dir.path + "/pid";
  bool finished = weft::run([](std::string file) -> task<bool> {
    auto r = co_await weft::within(
        weft::run_command(weft::shell_command("echo $$ > " + file + "; exec sleep 10")), 300ms);
    co_return r.has_value();
  }(pid_file));
  CHECK_FALSE(finished);
  pid_t pid = 0;
  std::ifstream{pid_file} >> pid;
  REQUIRE(pid > 0);
  CHECK(reaped_within_5s(pid));
}

TEST_CASE("communicate writes input to stdin while reading stdout", "[io][process]") {
  std::string input(1 << 20, 'x');
  for (std::size_t i = 0; i < input.size(); i += 7)
    input[i] = static_cast<char>('a' + i % 26);
  weft::communicate_result r = weft::run([](std::string in) -> task<weft::communicate_result> {
    weft::process cat = weft::process::spawn(
        {"cat"}, weft::process_options().std_in(stdio::pipe()).std_out(stdio::pipe()));
    co_return co_await cat.communicate(std::move(in));
  }(input));
  CHECK(r.status == exit_status::exited_with(0));
  CHECK(r.input_written == input.size());
  CHECK(r.std_out == input);  // 1 MiB each way: more than a pipe holds, so both ran at once
}

TEST_CASE("communicate with input but no stdin pipe is a usage error", "[io][process]") {
  weft::run([]() -> task<void> {
    weft::process proc = weft::process::spawn({"true"});
    // (No co_await inside Catch's macros: they name their expression twice, and GCC 12 runs
    // the co_await in the unevaluated copy too.)
    bool refused = false;
    try {
      (void)co_await proc.communicate("data");
    } catch (const std::invalid_argument&) {
      refused = true;
    }
    CHECK(refused);
    exit_status status = co_await proc.wait();
    CHECK(status == exit_status::exited_with(0));
  }());
}

TEST_CASE("a child that stops reading its stdin early is not an error", "[io][process]") {
  weft::communicate_result r = weft::run([]() -> task<weft::communicate_result> {
    weft::process head = weft::process::spawn(
        {"head", "-c", "3"}, weft::process_options().std_in(stdio::pipe()).std_out(stdio::pipe()));
    co_return co_await head.communicate(std::string(4 << 20, 'y'));
  }());
  CHECK(r.status == exit_status::exited_with(0));
  CHECK(r.std_out == "yyy");
  CHECK(r.input_written < (4u << 20));
}

TEST_CASE("the environment is inherited with changes, or replaced", "[io][process]") {
  ::setenv("WEFT_TEST_INHERITED", "from parent", 1);
  auto [added, replaced,
        removed] = weft::run([]() -> task<std::tuple<std::string, std::string, std::string>> {
    auto a = co_await weft::run_command(
        weft::shell_command("echo \"$WEFT_TEST_INHERITED|$WEFT_TEST_ADDED\""),
        weft::process_options().env(weft::environment::inherit().set("WEFT_TEST_ADDED", "added")));
    std::vector<std::string> env{"/usr/bin/env"};
    auto b = co_await weft::run_command(
        env, weft::process_options().env(
                 weft::environment::empty().set("A", "1").set("B", "2").set("A", "3")));
    auto c = co_await weft::run_command(
        env,
        weft::process_options().env(weft::environment::inherit().unset("WEFT_TEST_INHERITED")));
    co_return std::tuple{a.std_out, b.std_out, c.std_out};
  }());
  ::unsetenv("WEFT_TEST_INHERITED");
  CHECK(added == "from parent|added\n");
  CHECK(replaced == "A=3\nB=2\n");
  CHECK(removed.find("WEFT_TEST_INHERITED") == std::string::npos);
  CHECK(removed.find("PATH=") != std::string::npos);
}

TEST_CASE("the working directory option sets where the child runs", "[io][process]") {
  temp_dir dir;
  std::string out = weft::run([](std::string path) -> task<std::string> {
    std::vector<std::string> argv{"pwd"};
    auto r = co_await weft::run_command(std::move(argv),
                                        weft::process_options().working_directory(path));
    co_return r.std_out;
  }(dir.path));
  CHECK(out == dir.path + "\n");
  CHECK_THROWS_WITH(weft::process::spawn(
                        {"pwd"}, weft::process_options().working_directory(dir.path + "/missing")),
                    "spawn pwd in " + dir.path + "/missing: No such file or directory");
}

TEST_CASE("stdin from /dev/null, and stderr folded into stdout", "[io][process]") {
  auto [from_null, merged] = weft::run([]() -> task<std::pair<std::string, std::string>> {
    std::vector<std::string> cat{"cat"};
    auto a =
        co_await weft::run_command(std::move(cat), weft::process_options().std_in(stdio::null()));
    auto b = co_await weft::run_command(weft::shell_command("echo out; echo err >&2"),
                                        weft::process_options().std_err(stdio::same_as_std_out()));
    CHECK(a.status.success());
    CHECK(b.std_err.empty());
    co_return std::pair{a.std_out, b.std_out};
  }());
  CHECK(from_null.empty());
  CHECK(merged == "out\nerr\n");
  CHECK_THROWS_AS(
      weft::process::spawn({"true"}, weft::process_options().std_out(stdio::same_as_std_out())),
      std::invalid_argument);
}

TEST_CASE("a shared descriptor stays the caller's", "[io][process]") {
  temp_dir dir;
  std::string path = dir.path + "/out";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  weft::run([](int out) -> task<void> {
    weft::process proc = weft::process::spawn({"echo", "to a file"},
                                              weft::process_options().std_out(stdio::share(out)));
    exit_status status = co_await proc.wait();
    CHECK(status.success());
  }(fd));
  CHECK(::fcntl(fd, F_GETFD) != -1);  // still open
  ::close(fd);
  std::ifstream in{path};
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == "to a file\n");
}

TEST_CASE("a child starts with no blocked signals and SIGPIPE at its default", "[io][process]") {
  (void)weft::pipe();  // makes sure weft has set SIGPIPE to ignored in this process
  struct sigaction current {};
  ::sigaction(SIGPIPE, nullptr, &current);
  REQUIRE(current.sa_handler == SIG_IGN);
  sigset_t block;
  sigset_t previous;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGUSR1);
  ::sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &previous);
  std::string out = weft::run([]() -> task<std::string> {
    auto r = co_await weft::run_command(
        weft::shell_command("grep -E '^Sig(Blk|Ign):' /proc/self/status"));
    co_return r.std_out;
  }());
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  std::istringstream lines{out};
  std::string name;
  unsigned long long blocked = ~0ull;
  unsigned long long ignored = ~0ull;
  lines >> name >> std::hex >> blocked >> name >> ignored;
  CHECK(blocked == 0);
  CHECK((ignored & (1ull << (SIGPIPE - 1))) == 0);
}

TEST_CASE("spawning, piping and waiting leak no descriptors", "[io][process]") {
  std::size_t before = weft::test::open_fd_count();
  weft::run([]() -> task<void> {
    for (int i = 0; i < 3; ++i) {
      std::vector<std::string> argv{"echo", "x"};
      auto r = co_await weft::run_command(std::move(argv),
                                          weft::process_options().std_in(stdio::null()));
      CHECK(r.std_out == "x\n");
    }
    weft::process a =
        weft::process::spawn({"echo", "a b"}, weft::process_options().std_out(stdio::pipe()));
    weft::process b = weft::process::spawn(
        {"wc", "-w"},
        weft::process_options().std_in(stdio::from(std::move(a.std_out()))).std_out(stdio::pipe()));
    auto r = co_await b.communicate();
    CHECK(r.std_out == "2\n");
    exit_status a_status = co_await a.wait();
    CHECK(a_status.success());
    weft::process slow =
        weft::process::spawn({"sleep", "10"}, weft::process_options().std_out(stdio::pipe()));
    auto t = co_await slow.communicate({}, 20ms);
    CHECK(t.timed_out());
    slow.kill();
    exit_status slow_status = co_await slow.wait();
    CHECK(slow_status == exit_status::killed_by(SIGKILL));
  }());
  CHECK(weft::test::open_fd_count() == before);
}

TEST_CASE("a low descriptor given as a child's stdio is not clobbered", "[io][process]") {
  // Descriptor 0 of this process becomes the write end of a pipe, then handed to the child as
  // its stdout while the child's stdin is /dev/null: dup2(…, 0) must not destroy the source.
  int saved_stdin = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
  REQUIRE(saved_stdin >= 0);
  std::string out = weft::run([]() -> task<std::string> {
    weft::pipe_ends p = weft::pipe();
    ::dup2(p.writer.native_handle(), 0);  // fd 0 is now another write end of the pipe
    co_await p.writer.close();
    weft::process proc = weft::process::spawn(
        {"echo", "through fd 0"},
        weft::process_options().std_in(stdio::null()).std_out(stdio::from(weft::unique_fd{0})));
    // The process took fd 0 and closes it after the spawn: end of file below proves it.
    std::string all;
    std::array<std::byte, 256> buffer;
    while (std::size_t got = co_await p.reader.read_some(buffer))
      all.append(reinterpret_cast<const char*>(buffer.data()), got);
    exit_status status = co_await proc.wait();
    CHECK(status.success());
    co_return all;
  }());
  ::dup2(saved_stdin, 0);
  ::close(saved_stdin);
  CHECK(out == "through fd 0\n");
}

TEST_CASE("a process spawned on the pool is awaited on the loop", "[io][process]") {
  weft::thread_pool pool{weft::thread_pool::options{.workers = 1}};
  weft::communicate_result r =
      weft::run([](weft::thread_pool* p) -> task<weft::communicate_result> {
        weft::process proc = co_await weft::offload(*p, [] {
          return weft::process::spawn({"echo", "spawned off the loop"},
                                      weft::process_options().std_out(stdio::pipe()));
        });
        co_return co_await proc.communicate();
      }(&pool));
  CHECK(r.std_out == "spawned off the loop\n");
  CHECK(r.status == exit_status::exited_with(0));
}

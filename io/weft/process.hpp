// weft/process.hpp — child processes as awaitables: spawn, wait, talk to them through pipes.
//
// Spawning: process::spawn(argv, options) starts the program with posix_spawnp (glibc runs the
// child with clone(CLONE_VM|CLONE_VFORK) and only async-signal-safe code until execve, and
// reports an exec failure as the spawn's error: a missing program throws "spawn no-such-prog: No
// such file or directory" here, never a silent exit status 127). No shell is involved unless asked
// for with shell_command("..."). The child starts with an empty signal mask and SIGPIPE at its
// default action, whatever weft did to the parent (weft ignores SIGPIPE, and signal_set and
// weft's own threads block signals). It inherits only descriptors 0, 1 and 2: weft opens every
// descriptor close-on-exec. spawn() blocks the calling thread until the child has called execve
// (vfork semantics: no memory is copied) — from about a hundred microseconds on bare metal to a
// few milliseconds in a small VM; every coroutine on that loop waits meanwhile. A loop that must
// not stall that long can spawn on the pool: `co_await weft::offload(pool, [&] { return
// weft::process::spawn(argv); })` — the process object may then be awaited on the loop.
//
// Waiting: no SIGCHLD handler is involved. Each process holds a pidfd (pidfd_open); wait() polls
// it through the ring (IORING_OP_POLL_ADD: readable once the child has ended) and then reaps the
// child with waitid(P_PIDFD, WNOHANG) on the loop thread. (IORING_OP_WAITID, Linux 6.7+, would
// save that one system call but reaps inside the kernel, where two coroutines waiting for the
// same child would race for the status; next to the cost of a spawn the call is noise.) kill()
// uses pidfd_send_signal, so a signal can never reach a stranger that reused the pid.
//
// Threading model: a process object is used by one thread at a time, like a socket; wait() and
// communicate() run on a loop thread (they are ring operations); spawn(), try_wait() and kill()
// work on any thread.
//
// Ownership and shutdown — zombies are always reaped:
//   * wait(), try_wait() (once the child has exited) and communicate() reap the child and keep
//     its exit_status.
//   * A process destroyed (or assigned over) before its child was reaped reaps it at once if it
//     has already exited; otherwise it hands its pidfd to the process-wide reaper thread, which
//     waits for the child to exit and reaps it. The child is left running, not killed (kill() it
//     first if that is what you want). The reaper thread is started the first time it is needed,
//     blocks every signal, holds one eventfd and the pidfds it was given, and lives until the
//     program exits.
//   * The pipes to the child (std_in(), std_out(), std_err()) are closed with the process object
//     unless they were moved out of it.
//
// Reaping by anyone else breaks this: a SIGCHLD disposition of SIG_IGN, or a waitpid(-1, ...) in
// the same program, can take the child's status first (wait() then throws ECHILD).
#pragma once

#include <weft/pipe.hpp>
#include <weft/task.hpp>
#include <weft/unique_fd.hpp>

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft {

/// How a child process ended: exited with a code, or killed by a signal.
class exit_status {
 public:
  [[nodiscard]] static constexpr exit_status exited_with(int code) noexcept {
    return exit_status{false, code, false};
  }
  [[nodiscard]] static constexpr exit_status killed_by(int signal,
                                                       bool core_dumped = false) noexcept {
    return exit_status{true, signal, core_dumped};
  }

  /// The child called exit() (or returned from main): code() is its exit code.
  [[nodiscard]] constexpr bool exited() const noexcept { return !killed_; }
  /// A signal ended the child: signal() says which.
  [[nodiscard]] constexpr bool killed() const noexcept { return killed_; }
  /// The exit code (0–255) when exited(), else -1.
  [[nodiscard]] constexpr int code() const noexcept { return killed_ ? -1 : value_; }
  /// The terminating signal when killed(), else 0.
  [[nodiscard]] constexpr int signal() const noexcept { return killed_ ? value_ : 0; }
  [[nodiscard]] constexpr bool core_dumped() const noexcept { return core_dumped_; }
  /// Exited with code 0.
  [[nodiscard]] constexpr bool success() const noexcept { return !killed_ && value_ == 0; }

  /// "exited with 0", "exited with 3", "killed by SIGTERM", "killed by SIGSEGV (core dumped)".
  [[nodiscard]] std::string to_string() const;

  friend constexpr bool operator==(const exit_status&, const exit_status&) noexcept = default;

 private:
  constexpr exit_status(bool killed, int value, bool core_dumped) noexcept
      : killed_(killed), value_(value), core_dumped_(core_dumped) {}
  bool killed_;
  int value_;
  bool core_dumped_;
};

/// {"/bin/sh", "-c", script}: for when a shell is what you want (pipes, globs, redirections).
/// Quoting the script's parts is the caller's business.
[[nodiscard]] std::vector<std::string> shell_command(std::string script);

/// Where one of the child's standard descriptors (stdin, stdout, stderr) comes from.
class stdio {
 public:
  enum class kind {
    inherit,         ///< the parent's descriptor 0, 1 or 2 (the default)
    null,            ///< /dev/null
    pipe,            ///< a new pipe; the parent's end is process::std_in()/std_out()/std_err()
    fd,              ///< a descriptor the caller supplies (from() or share())
    same_as_std_out  ///< stderr only: wherever stdout goes (2>&1)
  };

  /// Inherit the parent's descriptor.
  stdio() noexcept = default;
  [[nodiscard]] static stdio inherit() noexcept { return stdio{}; }
  [[nodiscard]] static stdio null() noexcept { return stdio{kind::null}; }
  [[nodiscard]] static stdio pipe() noexcept { return stdio{kind::pipe}; }
  /// The child gets `fd`; spawn() closes the parent's copy once the child has its own. This is
  /// how children are chained into a pipeline:
  ///   `weft::process_options().std_in(weft::stdio::from(std::move(a.std_out())))`
  [[nodiscard]] static stdio from(unique_fd fd) noexcept;
  [[nodiscard]] static stdio from(pipe_reader reader) noexcept { return from(reader.release()); }
  [[nodiscard]] static stdio from(pipe_writer writer) noexcept { return from(writer.release()); }
  /// The child gets a copy of `fd`, which stays the caller's: open, and closed by the caller.
  [[nodiscard]] static stdio share(int fd) noexcept;
  /// For std_err: the same destination as stdout (a shell's 2>&1), including stdout's pipe.
  [[nodiscard]] static stdio same_as_std_out() noexcept { return stdio{kind::same_as_std_out}; }

  [[nodiscard]] kind what() const noexcept { return kind_; }
  /// The descriptor for kind::fd, else -1.
  [[nodiscard]] int fd() const noexcept { return owned_ ? owned_.get() : shared_; }

 private:
  explicit stdio(kind k) noexcept : kind_(k) {}
  kind kind_ = kind::inherit;
  unique_fd owned_;
  int shared_ = -1;
};

/// The child's environment: the parent's with changes (the default: inherit, no changes), or only
/// what set() puts in (replace):
///   inherit and add:  `weft::environment::inherit().set("LANG", "C")`
///   replace:          `weft::environment::empty().set("PATH", "/usr/bin")`
/// The parent's environment is read at spawn time (`environ`: like getenv, not safe against a
/// concurrent setenv in another thread).
class environment {
 public:
  environment() = default;
  [[nodiscard]] static environment inherit() { return environment{}; }
  [[nodiscard]] static environment empty() {
    environment e;
    e.inherit_ = false;
    return e;
  }
  /// Sets `name` to `value` (replacing an inherited or earlier value).
  environment& set(std::string name, std::string value) &;
  environment&& set(std::string name, std::string value) && {
    return std::move(set(std::move(name), std::move(value)));
  }
  /// Removes `name` (inherited or set earlier).
  environment& unset(std::string name) &;
  environment&& unset(std::string name) && { return std::move(unset(std::move(name))); }

  [[nodiscard]] bool inherits() const noexcept { return inherit_; }
  /// The resulting "NAME=value" entries (reads the parent's environment if it inherits).
  [[nodiscard]] std::vector<std::string> entries() const;

 private:
  bool inherit_ = true;
  // In order; a later change to a name overrides an earlier one.
  std::vector<std::pair<std::string, std::optional<std::string>>> changes_;
};

/// How to start a child: its working directory, environment and standard descriptors. Built by
/// chaining setters (each has a getter of the same name):
///
///     weft::process_options().std_in(weft::stdio::pipe()).std_out(weft::stdio::pipe())
///
/// A class with setters rather than an aggregate for designated initializers on purpose: GCC 12
/// miscompiles an aggregate-initialized temporary inside a co_await expression (it is destroyed
/// twice), and `co_await weft::run_command(argv, {.std_out = ...})` would be exactly that.
class process_options {
 public:
  process_options() = default;

  /// The child's working directory; empty (the default): the parent's. A program named by a
  /// relative path that contains a '/' is found relative to this directory.
  process_options& working_directory(std::string directory) & {
    working_directory_ = std::move(directory);
    return *this;
  }
  process_options&& working_directory(std::string directory) && {
    return std::move(working_directory(std::move(directory)));
  }
  [[nodiscard]] const std::string& working_directory() const noexcept { return working_directory_; }

  /// The child's environment (default: the parent's, see environment).
  process_options& env(environment e) & {
    env_ = std::move(e);
    return *this;
  }
  process_options&& env(environment e) && { return std::move(env(std::move(e))); }
  [[nodiscard]] const environment& env() const noexcept { return env_; }

  /// The child's stdin, stdout and stderr (default: inherited).
  process_options& std_in(stdio s) & {
    std_in_ = std::move(s);
    return *this;
  }
  process_options&& std_in(stdio s) && { return std::move(std_in(std::move(s))); }
  [[nodiscard]] const stdio& std_in() const noexcept { return std_in_; }
  process_options& std_out(stdio s) & {
    std_out_ = std::move(s);
    return *this;
  }
  process_options&& std_out(stdio s) && { return std::move(std_out(std::move(s))); }
  [[nodiscard]] const stdio& std_out() const noexcept { return std_out_; }
  process_options& std_err(stdio s) & {
    std_err_ = std::move(s);
    return *this;
  }
  process_options&& std_err(stdio s) && { return std::move(std_err(std::move(s))); }
  [[nodiscard]] const stdio& std_err() const noexcept { return std_err_; }

 private:
  friend class process;
  std::string working_directory_;
  environment env_;
  stdio std_in_;
  stdio std_out_;
  stdio std_err_;
};

/// What communicate() collected.
struct communicate_result {
  /// How the child ended; empty when the timeout passed first (the child is then still running).
  std::optional<exit_status> status{};
  /// Everything read from the child's stdout / stderr pipes by this call (empty for a descriptor
  /// that is not a pipe). On a timeout: what had arrived by then — nothing read is lost.
  std::string std_out{};
  std::string std_err{};
  /// How many bytes of the input the child's stdin accepted (all of it unless timed out, or the
  /// child closed its stdin early — which is not an error, as in Python).
  std::size_t input_written = 0;

  [[nodiscard]] bool timed_out() const noexcept { return !status.has_value(); }
};

/// What run_command() collected.
struct command_result {
  exit_status status = exit_status::exited_with(0);
  std::string std_out{};
  std::string std_err{};
};

/// A child process.
class process {
 public:
  /// No process.
  process() noexcept = default;
  process(process&& other) noexcept;
  /// Hands a child still running to the reaper first (see the top of this file).
  process& operator=(process&& other) noexcept;
  /// Reaps the child, now or in the background (see the top of this file); closes the pipes.
  ~process();

  /// Starts `argv[0]` (looked up in the parent's PATH unless it contains a '/') with arguments
  /// `argv`. Throws std::system_error "spawn <argv[0]>: <reason>" when it cannot be started
  /// (ENOENT, EACCES, a working directory that does not exist: "spawn pwd in /nowhere: No such
  /// file or directory"), and std::invalid_argument for an empty argv or same_as_std_out used for
  /// stdin or stdout. Runs on any thread; a blocking system call (see the top of this file).
  [[nodiscard]] static process spawn(std::vector<std::string> argv, process_options options = {});

  [[nodiscard]] explicit operator bool() const noexcept { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  /// The pidfd (for poll(), or pidfd_getfd).
  [[nodiscard]] int native_handle() const noexcept { return pidfd_.get(); }
  /// "process 1234 (sleep)", for messages.
  [[nodiscard]] std::string describe() const;

  /// The parent's ends of the pipes asked for with stdio::pipe() (empty objects otherwise). Move
  /// them out to keep them beyond the process object, or to feed another child (stdio::from).
  [[nodiscard]] pipe_writer& std_in() noexcept { return std_in_; }
  [[nodiscard]] pipe_reader& std_out() noexcept { return std_out_; }
  [[nodiscard]] pipe_reader& std_err() noexcept { return std_err_; }

  /// `co_await proc.wait()`
  ///   Yields: the exit_status, once the child has ended (it is then reaped); at once if it was
  ///     already reaped. Throws std::system_error "wait for process N (name): <reason>" if the
  ///     child cannot be waited for (ECHILD: somebody else reaped it).
  ///   Resumes on: the loop thread.
  ///   Cancellation: ASYNC_CANCEL of the wait; throws operation_cancelled and leaves the child
  ///     running, unreaped (wait again, or let the destructor hand it to the reaper). A status
  ///     that arrived despite the cancel is returned.
  /// Works with weft::timeout. The idiom "time out, then terminate and wait":
  ///
  ///     std::optional<weft::exit_status> status =
  ///         co_await weft::within(proc.wait(), 100ms);   // empty if the deadline passed
  ///     if (!status) {
  ///       proc.terminate();
  ///       status = co_await proc.wait();                 // killed by SIGTERM
  ///     }
  ///
  /// (With pipes to drain, use communicate() the same way; see there.)
  [[nodiscard]] task<exit_status> wait();

  /// Reaps the child if it has ended. Yields the status, or nullopt while it runs. Non-blocking;
  /// any thread. Throws std::system_error as wait() does.
  [[nodiscard]] std::optional<exit_status> try_wait();

  /// Sends `signal` to the child (pidfd_send_signal: never to another process that reused the
  /// pid). Does nothing once the child has been reaped. A child that has exited but was not reaped
  /// yet accepts and ignores it. Throws std::system_error "kill process N (name): <reason>".
  void kill(int signal = SIGKILL);
  /// kill(SIGTERM): ask the child to end.
  void terminate() { kill(SIGTERM); }

  /// `co_await proc.communicate(input)` / `co_await proc.communicate(input, 100ms)`
  ///   Writes `input` to the child's stdin pipe and then closes it (stdin is closed even for empty
  ///   input, so the child sees end of file), reads the stdout and stderr pipes to their end — all
  ///   three at once, so that a child blocked on one of them cannot deadlock the exchange — and
  ///   waits for the child to end.
  ///   Yields: communicate_result: the status and everything read. If `timeout` passes first,
  ///     it yields the result with an empty status (timed_out()) and what was read and written by
  ///     then; the child keeps running and the pipes stay open, so communicate() can be called
  ///     again to continue — pass `input.substr(result.input_written)` if input is pending.
  ///   Throws std::invalid_argument if `input` is not empty and stdin is not a pipe; I/O failures
  ///     as std::system_error (EPIPE on stdin is not one: the child may stop reading).
  ///   Resumes on: the loop thread.
  ///   Cancellation: stops the exchange and throws operation_cancelled; the child keeps running.
  ///     Output read by the cancelled call is dropped; output not yet read stays in the pipes.
  /// The idiom "time out, then terminate and wait" (as Python's `communicate(timeout=...)`,
  /// `TimeoutExpired`, `terminate()`):
  ///
  ///     weft::communicate_result r = co_await proc.communicate({}, 100ms);
  ///     if (r.timed_out()) {
  ///       proc.terminate();
  ///       weft::communicate_result rest = co_await proc.communicate();  // drains, then reaps
  ///       // rest.status: killed by SIGTERM; r.std_out + rest.std_out: all the output
  ///     }
  [[nodiscard]] task<communicate_result> communicate(std::string input = {});
  [[nodiscard]] task<communicate_result> communicate(std::string input,
                                                     std::chrono::steady_clock::duration timeout);

 private:
  process(pid_t pid, unique_fd pidfd, std::string name) noexcept;
  std::optional<exit_status> reap(int options);
  task<void> exchange(std::string_view input, communicate_result* result);
  task<void> feed(std::string_view input, std::size_t* written);
  void release_child() noexcept;

  pid_t pid_ = -1;
  unique_fd pidfd_;
  std::string name_;  // argv[0], for messages
  std::optional<exit_status> status_;
  pipe_writer std_in_;
  pipe_reader std_out_;
  pipe_reader std_err_;
};

/// `co_await weft::run_command({"ls", "-l"})` — Python's `subprocess.run(...,
/// capture_output=True)`.
///   Starts the program (as process::spawn), captures its stdout and stderr in pipes read
///   concurrently (the options' std_out and std_err are replaced by pipes, except a std_err of
///   same_as_std_out, which folds stderr into the captured stdout), and waits for it.
///   Yields: command_result {status, std_out, std_err}. A non-zero exit is not an exception:
///     check status.success().
///   Throws: what spawn() throws; I/O failures as std::system_error.
///   Resumes on: the loop thread.
///   Cancellation (and weft::timeout): the child is killed with SIGKILL and reaped in the
///     background; co_await throws operation_cancelled (timed_out under weft::timeout). Any other
///     failure kills the child the same way before it propagates.
[[nodiscard]] task<command_result> run_command(std::vector<std::string> argv,
                                               process_options options = {});

}  // namespace weft

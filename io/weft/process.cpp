#include <weft/detail/io_op.hpp>
#include <weft/io_error.hpp>
#include <weft/io_loop.hpp>
#include <weft/process.hpp>
#include <weft/timeout.hpp>
#include <weft/when_all.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace weft {

namespace {

// glibc 2.36 declares pidfd_open and pidfd_send_signal in <sys/pidfd.h> without extern "C", so
// C++ cannot link against them: call the system calls directly.
int pidfd_open(pid_t pid) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
int pidfd_send_signal(int pidfd, int signal) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

exit_status status_from(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED:
      return exit_status::exited_with(info.si_status);
    case CLD_DUMPED:
      return exit_status::killed_by(info.si_status, true);
    default:  // CLD_KILLED (only exits are waited for: no CLD_STOPPED/CONTINUED)
      return exit_status::killed_by(info.si_status);
  }
}

/// The process-wide reaper: reaps children whose process object was destroyed before they
/// ended. One thread, started on first use, with every signal blocked (a process-directed signal
/// must reach a signal_set, never this thread). It sleeps in poll(2) on its eventfd and on the
/// pidfds it owns; a readable pidfd means the child has ended: waitid reaps it and the pidfd is
/// closed. Never destroyed: a child still running at exit is re-parented to init, which reaps it.
///
/// After fork(), the child process has a copy of this object but not its thread (and perhaps a
/// mutex some other thread held at the fork): a pthread_atfork handler forgets the copy, and the
/// child makes a reaper of its own on first use. The pidfds the copy owns name the parent's
/// children, which the child could not reap anyway.
class reaper {
 public:
  static reaper& instance() {
    static std::once_flag registered;
    std::call_once(registered, [] {
      ::pthread_atfork(nullptr, nullptr,
                       [] { current_.store(nullptr, std::memory_order_relaxed); });
    });
    if (reaper* existing = current_.load(std::memory_order_acquire)) return *existing;
    // First use in this process. Two threads may race here: one reaper wins, the other is
    // discarded before its thread starts.
    auto made = std::unique_ptr<reaper>(new reaper);
    reaper* expected = nullptr;
    if (!current_.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel))
      return *expected;
    made->start();
    return *made.release();  // deliberately never destroyed (see above)
  }

  /// Only a reaper that lost the race in instance() is destroyed, before its thread started.
  ~reaper() { ::close(wake_fd_); }

  /// Takes ownership of `pidfd`, whose child this thread will reap. Any thread.
  void adopt(int pidfd) noexcept {
    {
      std::lock_guard lock{mutex_};
      incoming_.push_back(pidfd);
    }
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow; the thread drains it on every wake-up.
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  }

 private:
  reaper() {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) detail::fatal("weft: reaper: eventfd: {}", ::strerror(errno));
  }
  void start() {
    sigset_t all;
    sigset_t previous;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    std::thread{[this] { run(); }}.detach();
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  void run() {
    ::pthread_setname_np(::pthread_self(), "weft-reaper");
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;  // EINTR (signals are blocked)
      if (fds[0].revents != 0) {
        std::uint64_t count;
        [[maybe_unused]] ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
        std::lock_guard lock{mutex_};
        for (int pidfd : incoming_)
          fds.push_back({pidfd, POLLIN, 0});
        incoming_.clear();
      }
      for (std::size_t i = 1; i < fds.size();) {
        if (fds[i].revents == 0) {
          ++i;
          continue;
        }
        siginfo_t info{};
        int result = ::waitid(P_PIDFD, static_cast<id_t>(fds[i].fd), &info, WEXITED | WNOHANG);
        if (result == 0 && info.si_pid == 0) {  // readable but not yet reapable: not expected
          ++i;
          continue;
        }
        ::close(fds[i].fd);  // reaped, or ECHILD: somebody else reaped it
        fds[i] = fds.back();
        fds.pop_back();
      }
      for (pollfd& p : fds)
        p.revents = 0;
    }
  }

  // This process's reaper; cleared in a forked child (see above).
  static inline std::atomic<reaper*> current_{nullptr};

  int wake_fd_ = -1;
  std::mutex mutex_;
  std::vector<int> incoming_;  // guarded by mutex_
};

// posix_spawn's attributes and file actions, destroyed on every path.
struct spawn_attributes {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  spawn_attributes() {
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_init(&actions);
  }
  ~spawn_attributes() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
};

void check_spawn_setup(int error, std::string_view what) {
  if (error != 0) throw_errno(error, fmt::format("spawn: {}", what));
}

}  // namespace

// ---- exit_status, shell_command, stdio, environment ----

std::string exit_status::to_string() const {
  if (!killed_) return fmt::format("exited with {}", value_);
  const char* abbrev = ::sigabbrev_np(value_);
  std::string name =
      abbrev != nullptr ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", value_);
  return fmt::format("killed by {}{}", name, core_dumped_ ? " (core dumped)" : "");
}

std::vector<std::string> shell_command(std::string script) {
  return {"/bin/sh", "-c", std::move(script)};
}

stdio stdio::from(unique_fd fd) noexcept {
  stdio s{kind::fd};
  s.owned_ = std::move(fd);
  return s;
}

stdio stdio::share(int fd) noexcept {
  stdio s{kind::fd};
  s.shared_ = fd;
  return s;
}

environment& environment::set(std::string name, std::string value) & {
  changes_.emplace_back(std::move(name), std::move(value));
  return *this;
}

environment& environment::unset(std::string name) & {
  changes_.emplace_back(std::move(name), std::nullopt);
  return *this;
}

std::vector<std::string> environment::entries() const {
  std::vector<std::string> result;
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  auto find = [&](std::string_view name) {
    return std::find_if(result.begin(), result.end(),
                        [&](const std::string& entry) { return name_of(entry) == name; });
  };
  if (inherit_)
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
      result.emplace_back(*e);
  for (const auto& [name, value] : changes_) {
    auto existing = find(name);
    if (value) {
      std::string entry = name + "=" + *value;
      if (existing != result.end())
        *existing = std::move(entry);
      else
        result.push_back(std::move(entry));
    } else if (existing != result.end()) {
      result.erase(existing);
    }
  }
  return result;
}

// ---- process ----

process::process(pid_t pid, unique_fd pidfd, std::string name) noexcept
    : pid_(pid), pidfd_(std::move(pidfd)), name_(std::move(name)) {}

process::process(process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      name_(std::move(other.name_)),
      status_(std::exchange(other.status_, std::nullopt)),
      std_in_(std::move(other.std_in_)),
      std_out_(std::move(other.std_out_)),
      std_err_(std::move(other.std_err_)) {}

process& process::operator=(process&& other) noexcept {
  if (this != &other) {
    release_child();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    name_ = std::move(other.name_);
    status_ = std::exchange(other.status_, std::nullopt);
    std_in_ = std::move(other.std_in_);
    std_out_ = std::move(other.std_out_);
    std_err_ = std::move(other.std_err_);
  }
  return *this;
}

process::~process() {
  release_child();
}

void process::release_child() noexcept {
  if (!pidfd_ || status_) return;
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) == 0 &&
      info.si_pid == 0) {
    reaper::instance().adopt(pidfd_.release());  // still running: reaped when it ends
    return;
  }
  // Reaped just now (or ECHILD: nothing left to reap). pidfd_ closes as usual.
}

std::string process::describe() const {
  return fmt::format("process {} ({})", pid_, name_);
}

process process::spawn(std::vector<std::string> argv, process_options options) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty argv");
  if (options.std_in_.what() == stdio::kind::same_as_std_out ||
      options.std_out_.what() == stdio::kind::same_as_std_out)
    throw std::invalid_argument(
        fmt::format("spawn {}: same_as_std_out is only for std_err", argv[0]));

  spawn_attributes sa;
  // The child must not inherit what weft did to this process: SIGPIPE ignored (pipe.hpp), and
  // signals blocked in this thread (signal_set, weft's own threads).
  sigset_t defaults;
  ::sigemptyset(&defaults);
  ::sigaddset(&defaults, SIGPIPE);
  sigset_t empty;
  ::sigemptyset(&empty);
  check_spawn_setup(::posix_spawnattr_setsigdefault(&sa.attr, &defaults), "setsigdefault");
  check_spawn_setup(::posix_spawnattr_setsigmask(&sa.attr, &empty), "setsigmask");
  check_spawn_setup(
      ::posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
      "setflags");
  if (!options.working_directory_.empty())
    check_spawn_setup(
        ::posix_spawn_file_actions_addchdir_np(&sa.actions, options.working_directory_.c_str()),
        "addchdir");

  // The parent's ends of new pipes, and the child's ends (closed here once the child has them).
  pipe_writer parent_in;
  pipe_reader parent_out;
  pipe_reader parent_err;
  std::array<unique_fd, 3> child_ends;  // pipe ends, and low descriptors moved out of the way
  std::array<int, 3> sources{-1, -1, -1};
  stdio* streams[3] = {&options.std_in_, &options.std_out_, &options.std_err_};
  for (int target = 0; target < 3; ++target) {
    stdio& s = *streams[target];
    switch (s.what()) {
      case stdio::kind::pipe: {
        pipe_ends p = weft::pipe();
        if (target == 0) {
          child_ends[0] = p.reader.release();
          parent_in = std::move(p.writer);
        } else {
          child_ends[target] = p.writer.release();
          (target == 1 ? parent_out : parent_err) = std::move(p.reader);
        }
        sources[target] = child_ends[target].get();
        break;
      }
      case stdio::kind::fd:
        sources[target] = s.fd();
        break;
      default:
        break;
    }
  }
  // dup2 runs in order 0, 1, 2: a source that is itself 0, 1 or 2 could be overwritten by an
  // earlier dup2, so those get a copy at 3 or above first (close-on-exec, closed below).
  for (int target = 0; target < 3; ++target) {
    if (sources[target] < 0 || sources[target] > 2) continue;
    int copy = ::fcntl(sources[target], F_DUPFD_CLOEXEC, 3);
    if (copy < 0)
      throw_errno(errno, fmt::format("spawn {}: duplicate fd {}", argv[0], sources[target]));
    sources[target] = copy;
    child_ends[target] = unique_fd{copy};  // for a pipe, this closes its low end: copy replaces it
  }
  for (int target = 0; target < 3; ++target) {
    switch (streams[target]->what()) {
      case stdio::kind::inherit:
        break;
      case stdio::kind::null:
        check_spawn_setup(::posix_spawn_file_actions_addopen(&sa.actions, target, "/dev/null",
                                                             target == 0 ? O_RDONLY : O_WRONLY, 0),
                          "addopen");
        break;
      case stdio::kind::pipe:
      case stdio::kind::fd:
        check_spawn_setup(::posix_spawn_file_actions_adddup2(&sa.actions, sources[target], target),
                          "adddup2");
        break;
      case stdio::kind::same_as_std_out:
        check_spawn_setup(::posix_spawn_file_actions_adddup2(&sa.actions, 1, 2), "adddup2");
        break;
    }
  }

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (std::string& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_entries = options.env_.entries();
  std::vector<char*> envp;
  envp.reserve(env_entries.size() + 1);
  for (std::string& e : env_entries)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  // glibc reports an exec failure (ENOENT, EACCES, ...) and a failed file action as the error.
  if (int error = ::posix_spawnp(&pid, args[0], &sa.actions, &sa.attr, args.data(), envp.data());
      error != 0) {
    if (options.working_directory_.empty()) throw_errno(error, fmt::format("spawn {}", argv[0]));
    throw_errno(error, fmt::format("spawn {} in {}", argv[0], options.working_directory_));
  }
  int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    // Without a pidfd the child cannot be waited for safely: end it now rather than leak it.
    int error = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw_errno(error, fmt::format("spawn {}: pidfd_open", argv[0]));
  }
  process result{pid, unique_fd{pidfd}, std::move(argv[0])};
  result.std_in_ = std::move(parent_in);
  result.std_out_ = std::move(parent_out);
  result.std_err_ = std::move(parent_err);
  return result;  // child_ends and options' owned descriptors close here: the child has copies
}

std::optional<exit_status> process::reap(int options) {
  if (status_) return status_;
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | options) != 0)
    throw_errno(errno, "wait for " + describe());
  if (info.si_pid == 0) return std::nullopt;  // WNOHANG: still running
  status_ = status_from(info);
  return status_;
}

std::optional<exit_status> process::try_wait() {
  if (!*this) throw std::logic_error("try_wait: no process");
  return reap(WNOHANG);
}

task<exit_status> process::wait() {
  if (!*this) throw std::logic_error("wait: no process");
  for (;;) {
    // Reaping is a non-blocking system call on this thread, so two coroutines waiting for the
    // same child cannot race: the first to run after the child's exit reaps it and keeps the
    // status, the other finds the status kept.
    if (auto status = reap(WNOHANG)) co_return *status;
    co_await detail::io_op(
        [fd = pidfd_.get()](io_uring_sqe* sqe) { io_uring_prep_poll_add(sqe, fd, POLLIN); },
        [this] { return "wait for " + describe(); });
  }
}

void process::kill(int signal) {
  if (!*this) throw std::logic_error("kill: no process");
  if (status_) return;
  if (pidfd_send_signal(pidfd_.get(), signal) != 0) {
    if (errno == ESRCH) return;  // reaped by someone else; nothing to signal
    throw_errno(errno, "kill " + describe());
  }
}

task<void> process::feed(std::string_view input, std::size_t* written) {
  if (!std_in_) co_return;
  try {
    while (*written < input.size()) {
      auto rest = std::as_bytes(std::span{input.data() + *written, input.size() - *written});
      *written += co_await std_in_.write_some(rest);
    }
  } catch (const std::system_error& e) {
    // EPIPE: the child closed its stdin — it wants no more input, which is its right.
    if (e.code() != std::error_code(EPIPE, std::system_category())) throw;
  }
  co_await std_in_.close();
}

namespace {

task<void> drain(pipe_reader* reader, std::string* out) {
  if (!*reader) co_return;
  std::array<std::byte, 65536> buffer;  // in the frame: lives until the CQE
  for (;;) {
    std::size_t got = co_await reader->read_some(buffer);
    if (got == 0) break;
    out->append(reinterpret_cast<const char*>(buffer.data()), got);
  }
  co_await reader->close();
}

}  // namespace

task<void> process::exchange(std::string_view input, communicate_result* result) {
  co_await when_all(feed(input, &result->input_written), drain(&std_out_, &result->std_out),
                    drain(&std_err_, &result->std_err));
  result->status = co_await wait();
}

task<communicate_result> process::communicate(std::string input) {
  if (!input.empty() && !std_in_)
    throw std::invalid_argument("communicate with " + describe() +
                                ": input given but stdin is not a pipe");
  communicate_result result;
  co_await exchange(input, &result);
  co_return result;
}

task<communicate_result> process::communicate(std::string input,
                                              std::chrono::steady_clock::duration limit) {
  if (!input.empty() && !std_in_)
    throw std::invalid_argument("communicate with " + describe() +
                                ": input given but stdin is not a pipe");
  communicate_result result;
  try {
    co_await timeout(exchange(input, &result), limit);
  } catch (const timed_out&) {
    result.status.reset();  // wait() had not finished: the child runs on
  }
  co_return result;
}

task<command_result> run_command(std::vector<std::string> argv, process_options options) {
  options.std_out(stdio::pipe());
  if (options.std_err().what() != stdio::kind::same_as_std_out) options.std_err(stdio::pipe());
  process proc = process::spawn(std::move(argv), std::move(options));
  communicate_result result;
  std::exception_ptr failure;
  try {
    result = co_await proc.communicate();
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    proc.kill();  // the reaper reaps it when proc goes
    std::rethrow_exception(failure);
  }
  co_return command_result{*result.status, std::move(result.std_out), std::move(result.std_err)};
}

}  // namespace weft

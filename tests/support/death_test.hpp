// tests/support/death_test.hpp — run code in a forked child and check how it died.
//
// For misuse that must abort the program (a scope destroyed while its children run): the child runs
// `body` with stderr captured; the parent reports the signal that ended it and what it printed.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>
#include <utility>

namespace weft::test {

struct child_death {
  bool signalled = false;
  int signal = 0;
  int exit_code = 0;
  std::string stderr_text;
};

/// Forks; the child runs `body` and exits 0 if it returns. Returns how the child ended.
template <class Body>
child_death run_in_child(Body&& body) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) std::abort();
  pid_t pid = ::fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    // The test framework's own SIGABRT handler must not turn the abort into something else.
    std::signal(SIGABRT, SIG_DFL);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::forward<Body>(body)();
    std::_Exit(0);
  }
  ::close(pipe_fds[1]);
  child_death result;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) break;
    result.stderr_text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.signalled = WIFSIGNALED(status);
  result.signal = result.signalled ? WTERMSIG(status) : 0;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace weft::test

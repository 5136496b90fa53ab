#include <weft/io_loop.hpp>
#include <weft/process.hpp>
#include <weft/signal_set.hpp>
#include <weft/thread_pool.hpp>
#include <weft/timeout.hpp>

#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../support/fd_count.hpp"

using namespace std::chrono_literals;
using weft::task;

namespace {

/// Whether `signal` is blocked in the calling thread.
bool blocked(int signal) {
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return ::sigismember(&mask, signal) == 1;
}

}  // namespace

// Each test here sends real signals to this process. A signal of the set is blocked in every
// thread of the test process while the set exists (this one blocks it; weft's threads block all),
// so the signalfd takes it; if any of that failed, Catch's own handler would report the signal
// as a fatal error of the test case.

TEST_CASE("SIGTERM sent to the process is received by signal_set on the loop", "[io][signal]") {
  weft::thread_pool pool{weft::thread_pool::options{.workers = 2}};  // threads that must not get it
  int received = weft::run([]() -> task<int> {
    weft::signal_set signals{SIGINT, SIGTERM};
    CHECK(signals.describe() == "SIGINT, SIGTERM");
    // Created after the set, this thread inherits the blocked mask, as the docs advise.
    std::thread sender{[] {
      std::this_thread::sleep_for(20ms);
      ::kill(::getpid(), SIGTERM);  // process-directed: any thread not blocking it could get it
    }};
    int signal = co_await signals.wait();
    sender.join();
    co_return signal;
  }());
  CHECK(received == SIGTERM);
  CHECK_FALSE(blocked(SIGTERM));  // the mask is back as it was
}

TEST_CASE("a SIGTERM from a child process reaches the parent's signal_set", "[io][signal]") {
  int received = weft::run([]() -> task<int> {
    weft::signal_set signals{SIGTERM};
    weft::command_result r = co_await weft::run_command(weft::shell_command("kill -TERM $PPID"));
    CHECK(r.status.success());
    co_return co_await signals.wait();
  }());
  CHECK(received == SIGTERM);
}

TEST_CASE("a signal sent to the loop thread itself arrives", "[io][signal]") {
  int received = weft::run([]() -> task<int> {
    weft::signal_set signals{SIGUSR1};
    ::pthread_kill(::pthread_self(), SIGUSR1);  // thread-directed, pending before the wait
    co_return co_await signals.wait();
  }());
  CHECK(received == SIGUSR1);
}

TEST_CASE("each wait takes one signal, pending ones are returned by later waits", "[io][signal]") {
  std::vector<int> received = weft::run([]() -> task<std::vector<int>> {
    weft::signal_set signals{SIGUSR1, SIGUSR2};
    ::kill(::getpid(), SIGUSR2);
    ::kill(::getpid(), SIGUSR1);
    std::vector<int> got;
    got.push_back(co_await signals.wait());
    got.push_back(co_await signals.wait());
    // Nothing more is pending: a third wait would block, so give it a deadline.
    std::optional<int> third = co_await weft::within(signals.wait(), 20ms);
    CHECK_FALSE(third);
    co_return got;
  }());
  std::sort(received.begin(), received.end());
  CHECK(received == std::vector<int>{SIGUSR1, SIGUSR2});
}

TEST_CASE("a wait with no signal can be cancelled, and the set then restores the mask",
          "[io][signal]") {
  std::size_t fds_before = weft::test::open_fd_count();
  REQUIRE_FALSE(blocked(SIGUSR1));
  weft::run([]() -> task<void> {
    weft::signal_set signals{SIGUSR1};
    CHECK(blocked(SIGUSR1));
    std::optional<int> got = co_await weft::within(signals.wait(), 20ms);
    CHECK_FALSE(got);
    // Still usable after the cancelled wait.
    ::kill(::getpid(), SIGUSR1);
    int second = co_await signals.wait();  // not inside CHECK: it names its expression twice
    CHECK(second == SIGUSR1);
  }());
  CHECK_FALSE(blocked(SIGUSR1));
  CHECK(weft::test::open_fd_count() == fds_before);
}

TEST_CASE("signals blocked before the set stay blocked after it", "[io][signal]") {
  sigset_t usr1;
  sigset_t previous;
  ::sigemptyset(&usr1);
  ::sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &previous);
  {
    weft::signal_set signals{SIGUSR1, SIGUSR2};
    CHECK(blocked(SIGUSR1));
    CHECK(blocked(SIGUSR2));
  }
  CHECK(blocked(SIGUSR1));  // it was blocked before: not the set's to unblock
  CHECK_FALSE(blocked(SIGUSR2));
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

TEST_CASE("a signal_set refuses signals that cannot be caught", "[io][signal]") {
  CHECK_THROWS_AS(weft::signal_set({SIGTERM, SIGKILL}), std::invalid_argument);
  CHECK_THROWS_WITH(weft::signal_set({SIGSTOP}), "signal_set: SIGSTOP cannot be caught");
  CHECK_THROWS_WITH(weft::signal_set({0}), "signal_set: 0 is not a signal");
  CHECK_FALSE(blocked(SIGTERM));  // a refused set blocks nothing
}

TEST_CASE("a child spawned while a signal_set blocks SIGTERM can be stopped by SIGTERM",
          "[io][signal]") {
  weft::exit_status status = weft::run([]() -> task<weft::exit_status> {
    weft::signal_set signals{SIGTERM};
    weft::process child = weft::process::spawn({"sleep", "10"});
    child.terminate();  // would stay pending forever had the child inherited the mask
    std::optional<weft::exit_status> status = co_await weft::within(child.wait(), 5s);
    if (!status) {
      child.kill();
      status = co_await child.wait();
    }
    co_return *status;
  }());
  CHECK(status == weft::exit_status::killed_by(SIGTERM));
}

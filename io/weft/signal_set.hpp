// weft/signal_set.hpp — wait for signals (SIGINT, SIGTERM, ...) as a loop operation.
//
//   weft::signal_set signals{SIGINT, SIGTERM};
//   int which = co_await signals.wait();   // graceful shutdown starts here
//
// How: the constructor blocks the signals in the calling thread (pthread_sigmask, remembering
// which of them were not blocked before) and opens a signalfd for them; wait() reads a
// signalfd_siginfo through the ring. A blocked signal is not delivered: it stays pending until
// the signalfd read takes it, so no handler runs and nothing is async-signal-unsafe.
//
// Which thread gets a signal: a signal sent to the process (kill(pid, sig), Ctrl-C, systemd's
// SIGTERM) goes to any one thread that does not block it — and its default action then ends the
// whole program. So every thread must block the signals in the set:
//   * weft's own threads (thread_pool workers, the timer thread, the process reaper) block every
//     signal from birth;
//   * threads you start inherit the mask of the thread that creates them: construct the
//     signal_set in main() before starting any, or block the signals in them yourself.
// The signalfd then sees the signals pending for the process and for the thread that reads it
// (the loop thread that constructed the set): kill(getpid(), ...) and pthread_kill(loop_thread,
// ...) both arrive.
//
// Threading model and shutdown: the set is used on the thread that created it (the loop thread
// that awaits wait()); it is neither copyable nor movable. The destructor, on that same thread
// (checked: it aborts otherwise), unblocks the signals this set blocked — a signal of the set
// still pending is delivered right then, with its normal disposition — and closes the signalfd.
// Two signal_sets should not share a signal: each pending signal is read by one of them.
// Child processes do not inherit the blocked mask (process.hpp starts them with an empty one).
#pragma once

#include <weft/task.hpp>
#include <weft/unique_fd.hpp>

#include <signal.h>

#include <initializer_list>
#include <string>
#include <thread>

namespace weft {

class signal_set {
 public:
  /// Blocks `signals` in the calling thread and opens a signalfd for them. Throws
  /// std::invalid_argument for a signal number that is invalid or cannot be caught (SIGKILL,
  /// SIGSTOP), std::system_error "signalfd for SIGINT, SIGTERM: <reason>" if the descriptor cannot
  /// be made (the mask is then left as it was).
  explicit signal_set(std::initializer_list<int> signals);
  /// On the constructing thread: unblocks what the constructor blocked, closes the signalfd.
  ~signal_set();
  signal_set(const signal_set&) = delete;
  signal_set& operator=(const signal_set&) = delete;

  /// `co_await set.wait()`
  ///   Yields: the number of a signal of the set that arrived (SIGTERM, ...). One wait() takes one
  ///     signal; a signal that arrived while nobody waited is pending and yielded by the next
  ///     wait(). (The kernel keeps one pending instance per standard signal: two SIGTERMs sent
  ///     before anyone reads may be one.)
  ///   Resumes on: the loop thread.
  ///   Cancellation: ASYNC_CANCEL of the read; throws operation_cancelled — unless a signal had
  ///     already been read, which is then returned: a signal is never consumed and lost.
  /// Must be awaited on the thread that constructed the set.
  [[nodiscard]] task<int> wait();

  [[nodiscard]] bool contains(int signal) const noexcept {
    return ::sigismember(&signals_, signal) == 1;
  }
  /// The signalfd (non-blocking).
  [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
  /// "SIGINT, SIGTERM", for messages.
  [[nodiscard]] std::string describe() const;

 private:
  sigset_t signals_;
  sigset_t newly_blocked_;  // the signals of the set that this thread did not block before
  std::thread::id owner_;
  unique_fd fd_;
};

}  // namespace weft

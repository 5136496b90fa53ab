// S16 (seed 002) — S15 with `multiprocessing.Process` and a `multiprocessing.Event`: the child
// process counts every second until the event is set; the parent `join(timeout=10)`s it, sets the
// event and prints "timed out!".
//
// What it shows: the same shape across processes. Nothing is shared by default after fork(), so
// the "process Event" has to live in the kernel: here an eventfd created before fork(), which
// parent and child then both hold. set() writes to it; waiting is poll() with a timeout; nobody
// ever reads it, so once set it stays set, like Event. (A pipe would do as well; an atomic flag in
// mmap(MAP_SHARED) memory would need polling or a futex to wait with a timeout.)
// Process.join(timeout) is waitpid(WNOHANG) polled until the deadline; join() is waitpid().
//
// Two fork() rules show up: flush stdout before forking (or the child inherits the unwritten
// buffer and it is printed twice), and end the child with _exit() after flushing, so it does not
// run the parent's exit-time cleanup.
//
// Time is scaled: 1 s per count -> 30 ms, join timeout 10 s -> 300 ms.
//
// Run: ./porting_s16_process_event_threads

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <system_error>
#include <thread>

namespace {

using namespace std::chrono_literals;

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class ProcessEvent {
 public:
  ProcessEvent() : fd_(eventfd(0, EFD_CLOEXEC)) {
    if (fd_ < 0) fail("eventfd");
  }
  ~ProcessEvent() { close(fd_); }
  ProcessEvent(const ProcessEvent&) = delete;
  ProcessEvent& operator=(const ProcessEvent&) = delete;

  void set() {
    const std::uint64_t one = 1;
    if (write(fd_, &one, sizeof one) != sizeof one) fail("write eventfd");
  }
  // True as soon as the event is set; false after `timeout` if it is not.
  bool wait(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
    }
    if (r < 0) fail("poll");
    return r == 1;
  }
  bool is_set() { return wait(0ms); }

 private:
  int fd_;
};

void do_actions(ProcessEvent& stop_event, int start_value) {
  int i = start_value;
  for (;;) {
    i += 1;
    std::cout << i << std::endl;       // endl: flush, the parent shares this stdout
    if (stop_event.wait(30ms)) break;  // time.sleep(1) + is_set(), but wakes when set
  }
  std::cout << "child: stop event seen after " << i << std::endl;
}

}  // namespace

int main() {
  ProcessEvent stop_event;

  std::cout.flush();  // see header: nothing buffered may be copied into the child
  const pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    do_actions(stop_event, 0);
    _exit(0);
  }

  // process.join(timeout=10)
  int status = 0;
  pid_t reaped = 0;
  const auto deadline = std::chrono::steady_clock::now() + 300ms;
  while ((reaped = waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  if (reaped < 0) fail("waitpid");
  const bool timed_out = reaped == 0;

  stop_event.set();
  std::cout << "timed out!" << std::endl;
  if (timed_out && waitpid(pid, &status, 0) < 0) fail("waitpid");

  const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!timed_out || !clean_exit || !stop_event.is_set()) {
    std::cout << "S16 FAILED: timed_out=" << timed_out << " clean_exit=" << clean_exit << '\n';
    return 1;
  }
  std::cout << "S16 done: join timed out, child stopped by the process event, exit status 0\n";
  return 0;
}

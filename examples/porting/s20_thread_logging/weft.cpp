// S20 (seed 003), weft version — logging with `%(threadName)s`: five workers named 'thread %i'
// each log their count, and every record says who wrote it.
//
// What changed from threads.cpp, and why:
//  - threads.cpp hand-rolls it: a thread_local name and a log() that prefixes it. weft::log does
//    that already, and names the task as well as the thread: each line is
//    "[weft <thread>/<task>] I <message>", written to stderr with one write(2), so lines never
//    interleave. The task name is the one given to `scope.spawn(task, "thread i")`.
//  - Here the workers run on the pool (`scope.spawn(task, pool, name)`), so the same line shows
//    both names: the pool worker thread that ran it ("pool-0", "pool-1") and the task
//    ("thread 3") — "[weft pool-1/thread 3] I 3". The thread is whichever worker got it; the task
//    name is what identifies the speaker.
//  - To check every line, the program installs a log sink (weft::set_log_sink) that keeps each
//    line and still writes it to stderr. Lines arrive in scheduling order; the check is that each
//    line's task name matches its message.
//
// Run: ./porting_s20_thread_logging_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/thread_pool.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace {

using weft::task;

std::mutex lines_mutex;
std::vector<std::string> lines;  // guarded by lines_mutex: the sink is called from any thread

void keep_and_print(weft::log_level, std::string_view line) {
  fmt::print(stderr, "{}\n", line);
  std::lock_guard lock(lines_mutex);
  lines.emplace_back(line);
}

task<void> worker(int count) {
  weft::log("{}", count);  // logging.debug(count)
  co_return;
}

task<void> main_task(weft::thread_pool* pool) {
  weft::log("called main");
  weft::task_scope scope{"threads"};
  for (int i = 0; i < 5; ++i)
    scope.spawn(worker(i), *pool, fmt::format("thread {}", i));
  co_await scope.join();
}

}  // namespace

int main() {
  weft::set_log_sink(keep_and_print);
  {
    weft::thread_pool pool;
    weft::run(main_task(&pool));
  }
  weft::set_log_sink(nullptr);

  int named_right = 0;
  for (int i = 0; i < 5; ++i) {
    // "[weft pool-<k>/thread <i>] I <i>"
    const std::string task_part = fmt::format("/thread {}] I {}", i, i);
    for (const std::string& line : lines)
      named_right += line.starts_with("[weft pool") && line.ends_with(task_part);
  }
  if (named_right != 5) {
    fmt::print("S20 FAILED (weft): {} of 5 lines named right\n", named_right);
    return 1;
  }
  fmt::print("S20 done (weft): 5 of 5 log lines named their thread and task\n");
  return 0;
}

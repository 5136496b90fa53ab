// S18 (seed 003) — `main` starts five threads `Thread(target=worker, name='thread %i' % i,
// args=(i,))`; each prints "name: thread i, argument: i" using `currentThread().getName()`. The
// order differs from run to run.
//
// What it shows: naming threads, and that threads run in no particular order.
// C++ threads have no name. What comes closest is the OS thread name: pthread_setname_np (max 15
// characters; shows up in top -H, gdb, perf), read back with pthread_getname_np — set by the thread
// itself first thing, so there is no race with a reader. The seed does not join its threads
// (Python waits for them at exit); a std::jthread joins when destroyed.
//
// Lines print whole (osyncstream) but in scheduling order; the check looks only at which arguments
// were seen, sorted.
//
// Run: ./porting_s18_named_threads_threads

#include <pthread.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>
#include <vector>

namespace {

std::mutex seen_mutex;
std::vector<int> seen;  // guarded by seen_mutex

std::string current_thread_name() {
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

void worker(int count) {
  std::osyncstream(std::cout) << "name: " << current_thread_name() << ", argument: " << count
                              << '\n';
  std::lock_guard lock(seen_mutex);
  seen.push_back(count);
}

}  // namespace

int main() {
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 5; ++i) {
      const std::string name = "thread " + std::to_string(i);
      threads.emplace_back([name, i] {
        pthread_setname_np(pthread_self(), name.c_str());
        worker(i);
      });
    }
  }  // all joined

  std::sort(seen.begin(), seen.end());
  if (seen != std::vector<int>{0, 1, 2, 3, 4}) {
    std::cout << "S18 FAILED: saw " << seen.size() << " arguments\n";
    return 1;
  }
  std::cout << "S18 done: arguments seen (sorted) 0 1 2 3 4\n";
  return 0;
}

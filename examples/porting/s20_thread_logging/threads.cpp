// S20 (seed 003) — `logging.basicConfig(format="name: %(threadName)s, argument : %(message)s")`;
// five threads named 'thread %i' each `logging.debug(count)`. Python 3's print is thread-safe,
// but the notes recommend logging because every record says which thread wrote it.
//
// What it shows: logs that say who is speaking.
// C++ has no logging module and no thread names. The usual hand-rolled equivalent: a thread_local
// name each thread sets when it starts, and a log() that prefixes it and writes the whole line at
// once (std::osyncstream), so lines from different threads do not interleave mid-line.
//
// Lines come out in scheduling order; the check is that every line carried the name of the thread
// that wrote it.
//
// Run: ./porting_s20_thread_logging_threads

#include <iostream>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>
#include <vector>

namespace {

thread_local std::string thread_name = "MainThread";

std::mutex records_mutex;
std::vector<std::pair<std::string, std::string>> records;  // (threadName, message), guarded

void log_debug(const std::string& message) {
  std::osyncstream(std::cout) << "name: " << thread_name << ", argument : " << message << '\n';
  std::lock_guard lock(records_mutex);
  records.emplace_back(thread_name, message);
}

void worker(int count) {
  log_debug(std::to_string(count));
}

}  // namespace

int main() {
  std::cout << "called main\n";
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 5; ++i) {
      threads.emplace_back([i] {
        thread_name = "thread " + std::to_string(i);  // threading.Thread(name=...)
        worker(i);
      });
    }
  }

  int named_right = 0;
  for (const auto& [name, message] : records)
    named_right += name == "thread " + message;
  if (records.size() != 5 || named_right != 5) {
    std::cout << "S20 FAILED: " << named_right << " of " << records.size()
              << " lines named right\n";
    return 1;
  }
  std::cout << "S20 done: 5 of 5 log lines named their thread\n";
  return 0;
}

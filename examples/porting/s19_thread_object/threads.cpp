// S19 (seed 003) — S18 written as a `threading.Thread` subclass: `class worker(Thread)` stores
// its args in `__init__` and overrides `run()`; `start()` calls `run()` on the new thread.
//
// What it shows: the thread-as-object style. C++ can copy that shape — a base class owning a
// thread, with a virtual run() — but with a trap at each end that Python does not have:
//  - starting the thread in the base-class constructor would let it call run() before the
//    derived part exists, so, as in Python, construction and start() are separate;
//  - joining in the base-class destructor is too late: the derived part is already destroyed
//    while run() may still use it. So the member is a std::thread, not a std::jthread (an
//    unjoined std::thread calls std::terminate when destroyed), and main joins every worker,
//    which Python does for you at exit.
// The lighter C++ habit is to hand any callable to std::thread instead of deriving; see S18.
//
// Run: ./porting_s19_thread_object_threads

#include <pthread.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>
#include <utility>
#include <vector>

namespace {

class Thread {
 public:
  explicit Thread(std::string name) : name_(std::move(name)) {}
  virtual ~Thread() = default;  // still joinable here? ~std::thread calls std::terminate

  void start() {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), name_.c_str());
      run();
    });
  }
  void join() { thread_.join(); }
  const std::string& name() const { return name_; }

 protected:
  virtual void run() = 0;

 private:
  std::string name_;
  std::thread thread_;  // see the header: not a jthread on purpose
};

std::mutex seen_mutex;
std::vector<int> seen;  // guarded by seen_mutex

class Worker : public Thread {
 public:
  Worker(int arg, std::string name) : Thread(std::move(name)), arg_(arg) {}

 protected:
  void run() override {
    std::osyncstream(std::cout) << "name: " << name() << ", argument: " << arg_ << '\n';
    std::lock_guard lock(seen_mutex);
    seen.push_back(arg_);
  }

 private:
  int arg_;
};

}  // namespace

int main() {
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 5; ++i) {
    workers.push_back(std::make_unique<Worker>(i, "thread " + std::to_string(i)));
    workers.back()->start();
  }
  for (auto& worker : workers)
    worker->join();

  std::sort(seen.begin(), seen.end());
  if (seen != std::vector<int>{0, 1, 2, 3, 4}) {
    std::cout << "S19 FAILED: saw " << seen.size() << " arguments\n";
    return 1;
  }
  std::cout << "S19 done: arguments seen (sorted) 0 1 2 3 4\n";
  return 0;
}

// S19 (seed 003), weft version — S18 written as a `threading.Thread` subclass: `class worker`
// stores its args in `__init__` and overrides `run()`.
//
// What changed from threads.cpp, and why:
//  - The object keeps its state and its `run()` is a member coroutine (`task<void> run()`); start
//    spawns `run()` into a task_scope under the object's name. A member coroutine holds `this`, so
//    the rule is the same as threads.cpp's "join before the object goes away": every Worker lives
//    in main_task's frame until after `co_await scope.join()`. There is no base class with a
//    virtual run() and no thread member: the trap threads.cpp describes (a thread started in the
//    base constructor, or joined in the base destructor) does not arise, because the scope owns
//    the running part and is joined before the objects die.
//  - As in S18, weft::log names the task in each line ("[weft loop/thread 2] I ..."), so the
//    object does not print its own name.
//
// Run: ./porting_s19_thread_object_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

using weft::task;

std::vector<int> seen;  // loop thread only

class Worker {
 public:
  Worker(int arg, std::string name) : arg_(arg), name_(std::move(name)) {}

  // Thread.start(): runs run() concurrently, as a task of `scope` named after the object.
  void start(weft::task_scope& scope) { scope.spawn(run(), name_); }

 private:
  // Thread.run(). A member coroutine: `this` must outlive it (main joins the scope first).
  task<void> run() {
    weft::log("name: {}, argument: {}", name_, arg_);
    seen.push_back(arg_);
    co_return;
  }

  int arg_;
  std::string name_;
};

task<void> main_task() {
  std::vector<std::unique_ptr<Worker>> workers;  // declared before the scope: destroyed after it
  weft::task_scope scope{"workers"};
  for (int i = 0; i < 5; ++i) {
    workers.push_back(std::make_unique<Worker>(i, fmt::format("thread {}", i)));
    workers.back()->start(scope);
  }
  co_await scope.join();  // every run() has finished; the Workers may now go
}

}  // namespace

int main() {
  weft::run(main_task());
  std::sort(seen.begin(), seen.end());
  if (seen != std::vector<int>{0, 1, 2, 3, 4}) {
    fmt::print("S19 FAILED (weft): saw {} arguments\n", seen.size());
    return 1;
  }
  fmt::print("S19 done (weft): arguments seen (sorted) 0 1 2 3 4\n");
  return 0;
}

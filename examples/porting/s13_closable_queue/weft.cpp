// S13 (seed 001, Effective Python item 55), weft version — `ClosableQueue` (a SENTINEL ends
// iteration; task_done/join) and `StoppableWorker` fan-out: 3 download, 4 resize, 5 upload
// workers over 1,000 items; `stop_threads` closes each queue and joins it, stage by stage.
//
// What changed from threads.cpp, and why:
//  - ClosableQueue (deque + mutex + two condition variables + SENTINEL + unfinished count) splits
//    into two weft primitives, each doing one job:
//      * weft::channel<std::string>{10} carries the items. close() replaces the SENTINELs: one
//        close() ends *every* worker of the stage, each once it finds the channel closed and
//        drained (`while (auto item = co_await in.recv())`), so there is no "one sentinel per
//        worker" bookkeeping, and the channel being bounded holds a fast stage back (the seed's
//        queues are unbounded).
//      * weft::wait_group is task_done()/join(): main add()s 1,000 before feeding, each upload
//        worker done()s an item once it is through the last stage, and `co_await
//        all_done.wait()` is the queue join — it returns when every item has been processed.
//  - StoppableWorker threads -> worker coroutines spawned into one task_scope per stage, each
//    named ("download-0", ...; weft::log lines and slow-step warnings carry the name). Stopping a
//    stage is close() + `co_await scope.join()`, stage by stage, as stop_threads does.
//  - slow_systemcall() is `co_await weft::sleep_for(1ms)`: the twelve workers overlap their waits
//    on one loop thread.
//
// Time is scaled as in threads.cpp: slow_systemcall() waits 1 ms instead of 0.1 s.
//
// Run: ./porting_s13_closable_queue_weft

#include <weft/channel.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/wait_group.hpp>

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

task<void> slow_systemcall() {
  co_await weft::sleep_for(1ms);  // scaled from 0.1 s
}

task<std::string> download(std::string item) {
  co_await slow_systemcall();
  co_return item;
}
task<std::string> resize(std::string item) {
  co_await slow_systemcall();
  co_return item;
}
task<std::string> upload(std::string item) {
  co_await slow_systemcall();
  co_return item;
}
using stage_fn = task<std::string> (*)(std::string);

using Queue = weft::channel<std::string>;

// The seed's StoppableWorker: `for item in in_queue: out_queue.put(func(item))`. Ends when
// in_queue is closed and drained. `done` (upload stage only) is the task_done() of the last stage.
task<void> stoppable_worker(stage_fn func, Queue* in_queue, Queue* out_queue,
                            weft::wait_group* done) {
  while (std::optional<std::string> item = co_await in_queue->recv()) {
    std::string result = co_await func(std::move(*item));
    co_await out_queue->send(result);
    if (done != nullptr) done->done();
  }
}

void start_threads(weft::task_scope& scope, int count, const char* name, stage_fn func,
                   Queue& in_queue, Queue& out_queue, weft::wait_group* done = nullptr) {
  for (int i = 0; i < count; ++i)
    scope.spawn(stoppable_worker(func, &in_queue, &out_queue, done), fmt::format("{}-{}", name, i));
}

// close() the queue: each worker of the stage ends after draining it; then join them.
task<void> stop_threads(Queue* closable_queue, weft::task_scope* threads) {
  closable_queue->close();
  co_await threads->join();
}

task<std::set<std::string>> main_task() {
  Queue download_queue{10}, resize_queue{10}, upload_queue{10};
  Queue done_queue{Queue::unbounded};
  weft::wait_group all_done;
  weft::task_scope download_threads{"download"}, resize_threads{"resize"}, upload_threads{"upload"};
  start_threads(download_threads, 3, "download", download, download_queue, resize_queue);
  start_threads(resize_threads, 4, "resize", resize, resize_queue, upload_queue);
  start_threads(upload_threads, 5, "upload", upload, upload_queue, done_queue, &all_done);

  all_done.add(1000);
  for (int i = 0; i < 1000; ++i) {
    std::string item = std::to_string(i);
    co_await download_queue.send(item);  // waits while the first stage is 10 items behind
  }
  co_await all_done.wait();  // done_queue.join(): every item is through every stage

  // Nothing is left in flight, so the order of closing no longer matters; the seed's order is kept.
  co_await stop_threads(&download_queue, &download_threads);
  co_await stop_threads(&resize_queue, &resize_threads);
  co_await stop_threads(&upload_queue, &upload_threads);

  std::set<std::string> seen;
  std::size_t processed = 0;
  while (std::optional<std::string> item = done_queue.try_recv()) {
    ++processed;
    seen.insert(std::move(*item));
  }
  fmt::print("{} items processed\n", processed);
  if (processed != seen.size()) seen.clear();  // a duplicate: fail below
  co_return seen;
}

}  // namespace

int main() {
  const std::set<std::string> seen = weft::run(main_task());
  bool all_items = seen.size() == 1000;
  for (int i = 0; i < 1000 && all_items; ++i)
    all_items = seen.count(std::to_string(i)) == 1;
  if (!all_items) {
    fmt::print("S13 FAILED (weft): distinct={}\n", seen.size());
    return 1;
  }
  fmt::print("S13 done (weft): processed=1000 (3 download, 4 resize, 5 upload workers)\n");
  return 0;
}

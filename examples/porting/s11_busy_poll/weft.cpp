// S11 (seed 001, Effective Python item 55), weft version — a download -> resize -> upload pipeline
// of 1,000 items. The seed's workers poll hand-made lock+deque queues and nap 0.01 s whenever one
// is empty; main spins until the done queue holds 1,000 items. It counts the polls.
//
// What changed from threads.cpp, and why:
//  - Part 1 ports the waste as written, to count it: each Worker is a loop coroutine that polls its
//    MyQueue and, when empty, naps with `co_await weft::sleep_for(10ms)`. Main cannot spin — a
//    loop coroutine that never suspends starves every other coroutine on the loop, the workers
//    included, so the program would hang — so main's spin becomes a poll with a nap as well.
//    The workers stop when main asks the scope to (their nap throws operation_cancelled).
//    MyQueue needs no lock: everything runs on the loop thread.
//  - Part 2 is the fix: weft::channel between the stages. `co_await ch.recv()` suspends until an
//    item arrives (or the channel is closed and drained), so no worker ever looks at an empty
//    queue: zero polls. Each stage close()s its output when its input is drained, and the close
//    travels down the pipeline; main waits by draining the done channel, not by polling it. The
//    channels are bounded (10), so a fast stage is held back by a slow one instead of piling up.
//  - download/resize/upload are the seed's identity functions; they do not print each item.
//
// The poll counts are timing and are printed, not checked; the channel version's zero is checked.
//
// Run: ./porting_s11_busy_poll_weft

#include <weft/channel.hpp>
#include <weft/io_loop.hpp>
#include <weft/sleep.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using weft::task;

std::string download(std::string item) {
  return item;
}
std::string resize(std::string item) {
  return item;
}
std::string upload(std::string item) {
  return item;
}
using stage_fn = std::string (*)(std::string);

// ---- Part 1: busy polling, ported as written ----

class MyQueue {
 public:
  void put(std::string item) { items_.push_back(std::move(item)); }
  std::optional<std::string> get() {  // Python raises IndexError on an empty deque
    if (items_.empty()) return std::nullopt;
    std::string item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  std::size_t size() const { return items_.size(); }

 private:
  std::deque<std::string> items_;  // loop thread only: no lock
};

struct Counts {
  long polled = 0;
  long work_done = 0;
};

task<void> polling_worker(stage_fn func, MyQueue* in_queue, MyQueue* out_queue, Counts* counts) {
  for (;;) {
    ++counts->polled;
    if (auto item = in_queue->get()) {
      out_queue->put(func(std::move(*item)));
      ++counts->work_done;
    } else {
      co_await weft::sleep_for(10ms);  // nothing to do: nap and poll again (throws on stop)
    }
  }
}

task<Counts> polling_pipeline() {
  MyQueue download_queue, resize_queue, upload_queue, done_queue;
  Counts counts;
  weft::task_scope workers{"polling"};
  workers.spawn(polling_worker(download, &download_queue, &resize_queue, &counts), "download");
  workers.spawn(polling_worker(resize, &resize_queue, &upload_queue, &counts), "resize");
  workers.spawn(polling_worker(upload, &upload_queue, &done_queue, &counts), "upload");
  for (int i = 0; i < 1000; ++i)
    download_queue.put(std::to_string(i));
  long main_polls = 0;
  while (done_queue.size() < 1000) {
    ++main_polls;
    co_await weft::sleep_for(1ms);  // a spin here would starve the workers on this very thread
  }
  workers.request_stop();
  co_await workers.join();
  fmt::print(
      "polling:  {} items processed, workers polled {} times ({} empty polls); main "
      "polled {} times\n",
      done_queue.size(), counts.polled, counts.polled - counts.work_done, main_polls);
  if (done_queue.size() != 1000) counts.work_done = -1;
  co_return counts;
}

// ---- Part 2: channels; nobody polls ----

using Channel = weft::channel<std::string>;

task<void> channel_worker(stage_fn func, Channel* in_queue, Channel* out_queue, Counts* counts) {
  for (;;) {
    std::optional<std::string> item = co_await in_queue->recv();  // waits; never comes back empty
    ++counts->polled;                                             // handed; counted to compare
    if (!item) break;                                             // closed and drained
    std::string out = func(std::move(*item));
    co_await out_queue->send(out);
    ++counts->work_done;
  }
  out_queue->close();  // one worker per stage: closing passes the end down the pipeline
}

task<void> feed(Channel* download_queue) {
  for (int i = 0; i < 1000; ++i) {
    std::string item = std::to_string(i);
    co_await download_queue->send(item);
  }
  download_queue->close();
}

task<Counts> channel_pipeline(long* processed) {
  Channel download_queue{10}, resize_queue{10}, upload_queue{10}, done_queue{10};
  Counts counts;
  weft::task_scope workers{"channels"};
  workers.spawn(feed(&download_queue), "feed");
  workers.spawn(channel_worker(download, &download_queue, &resize_queue, &counts), "download");
  workers.spawn(channel_worker(resize, &resize_queue, &upload_queue, &counts), "resize");
  workers.spawn(channel_worker(upload, &upload_queue, &done_queue, &counts), "upload");
  while (co_await done_queue.recv())  // waits for each item; ends when upload closes done_queue
    ++*processed;
  co_await workers.join();
  // Every recv of a worker returned an item or the end: polls beyond those are the waste.
  const long empty_polls = counts.polled - counts.work_done - 3;  // 3 = one end-of-input per stage
  fmt::print("channels: {} items processed, {} empty polls\n", *processed, empty_polls);
  counts.polled = empty_polls;
  co_return counts;
}

struct Results {
  Counts polling, channels;
  long processed = 0;
};

task<Results> main_task() {
  Results r;
  r.polling = co_await polling_pipeline();
  r.channels = co_await channel_pipeline(&r.processed);
  co_return r;
}

}  // namespace

int main() {
  const Results r = weft::run(main_task());
  if (r.polling.work_done != 3000 || r.processed != 1000 || r.channels.work_done != 3000 ||
      r.channels.polled != 0) {
    fmt::print(
        "S11 FAILED (weft): polling work_done={} channels processed={} work_done={} "
        "empty polls={}\n",
        r.polling.work_done, r.processed, r.channels.work_done, r.channels.polled);
    return 1;
  }
  fmt::print(
      "S11 done (weft): processed=1000 work_done=3000 (polling: {} polls; channels: 0 "
      "empty polls)\n",
      r.polling.polled);
  return 0;
}

// S14, stage 5 (Effective Python items 62–63) — mixing threads and coroutines during the port.
//
// A real port does not happen in one commit. Here the top half is ported — simulate and step_cell
// are coroutines on the loop, as in stage 4 — and the bottom half is not, yet: game_logic is still
// the blocking function of stages 1–3, run by stage 2's worker threads (legacy code someone else
// owns, or that waits for its client library to get an async API). The two halves meet through
// weft's primitives, which work between coroutines and plain threads:
//  - Requests: stage 2's ClosableQueue becomes a weft::channel<Request>{8}. The coroutines
//    `co_await requests.send(...)` — suspending, not blocking the loop, while the 8 slots are
//    full — and the legacy threads call `requests.blocking_recv()`, which blocks them as
//    ClosableQueue::get did. close() still ends the threads once the channel is drained.
//  - Replies: each step_cell makes a one-slot weft::channel<char> in its frame and sends its
//  address
//    with the request; the legacy thread answers with `reply->blocking_send(next)` and the cell
//    `co_await`s `reply.recv()`, resuming on the loop: a future that a coroutine can await.
//  - The other bridge, for a one-off blocking call, is asyncio's run_in_executor:
//    `co_await weft::offload(pool, life::game_logic, state, neighbors)`. It works, but parks a pool
//    worker — meant for CPU work (stage 6) — for the whole I/O; threads you already have are the
//    better home for legacy blocking code until it is ported.
//  - The other direction of item 62 (bottom-up: a legacy thread calling code already ported to
//    coroutines, asyncio's run_coroutine_threadsafe) is the same pair of channels turned around:
//    the thread blocking_sends a request to a channel that a loop coroutine serves, and
//    blocking_recvs the answer.
//
// Item 63 — don't block the loop. The tempting first port makes simulate a coroutine and keeps
// calling the blocking game_logic from it: naive_simulate below. It computes the right grid, but
// it never suspends: 64 blocking calls in one step, during which nothing else on the loop runs.
// weft times every step and logs (stderr; the book's asyncio debug mode prints "Executing <Task
// ...> took 0.2 seconds"):
//   [weft loop] W slow step: task 'naive-simulate' ran 66 ms without yielding on loop 'loop'
//   (threshold 50 ms); blocking calls or long computations stall every coroutine on the loop —
//   offload them to the pool
// This stage makes that mistake once, on purpose, for the first generation, with the threshold
// lowered from its 100 ms default (WEFT_SLOW_STEP_MS) to 50 ms, and counts the warning through a
// log sink. The ported code never trips it: its cells suspend on the channels.
//
// Run: ./porting_s14_stage5_mixed

#include "life.hpp"

#include <weft/channel.hpp>
#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>
#include <weft/when_all.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using life::Grid;
using weft::task;

constexpr int kLegacyThreads = 4;

struct Request {
  char state;
  int neighbors;
  weft::channel<char>* reply;  // lives in the requesting step_cell's frame
};

// ---- Legacy: stage 2's worker, still blocking, on a plain thread. ----
std::atomic<int> legacy_steps{0};

void legacy_worker(weft::channel<Request>* requests) {
  while (std::optional<Request> request = requests->blocking_recv()) {
    char next = life::game_logic(request->state, request->neighbors);  // blocks this thread
    legacy_steps.fetch_add(1, std::memory_order_relaxed);
    request->reply->blocking_send(next);  // after this, the reply channel may be gone
  }
}

// ---- Ported: coroutines on the loop. ----
task<void> step_cell(int y, int x, const Grid& grid, Grid& next, weft::channel<Request>& requests) {
  weft::channel<char> reply{1};
  Request request{grid.get(y, x), life::count_neighbors(y, x, grid), &reply};
  const bool sent = co_await requests.send(request);
  if (!sent) throw std::runtime_error("the legacy workers are gone");
  const std::optional<char> next_state = co_await reply.recv();
  next.set(y, x, *next_state);
}

task<Grid> simulate(const Grid& grid, weft::channel<Request>& requests) {
  Grid next(grid.height(), grid.width());
  std::vector<task<void>> steps;
  for (int y = 0; y < grid.height(); ++y)
    for (int x = 0; x < grid.width(); ++x)
      steps.push_back(step_cell(y, x, grid, next, requests));
  co_await weft::when_all(std::move(steps));
  co_return next;
}

// Item 63's trap: a coroutine that calls blocking code. No co_await: one step, 64 × kIoLatency.
task<void> naive_simulate(const Grid* grid, Grid* next) {
  for (int y = 0; y < grid->height(); ++y)
    for (int x = 0; x < grid->width(); ++x)
      next->set(y, x, life::game_logic(grid->get(y, x), life::count_neighbors(y, x, *grid)));
  co_return;
}

std::atomic<int> naive_warnings{0};

// weft's log sink gets every whole line, from any thread: count the warnings that name the naive
// port, and still print every line to stderr.
void watch_log(weft::log_level, std::string_view line) {
  if (line.find("slow step") != line.npos && line.find("'naive-simulate'") != line.npos)
    naive_warnings.fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

task<std::vector<Grid>> port(weft::channel<Request>* requests, Grid* naive_result) {
  std::vector<Grid> generations{life::glider()};

  weft::task_scope naive{"naive"};  // the mistake, once: generation 1 computed on the loop
  naive.spawn(naive_simulate(&generations[0], naive_result), "naive-simulate");
  co_await naive.join();

  for (int g = 0; g < life::kGenerations; ++g) {  // the port: the legacy threads do the blocking
    Grid next = co_await simulate(generations.back(), *requests);
    generations.push_back(std::move(next));
  }
  co_return generations;
}

}  // namespace

int main() {
  weft::set_log_sink(watch_log);
  // The lesson needs warnings printed: raise the level to warning only if WEFT_LOG hid them.
  if (!weft::log_enabled(weft::log_level::warning)) weft::set_log_level(weft::log_level::warning);
  const auto start = std::chrono::steady_clock::now();
  weft::channel<Request> requests{8};
  Grid naive_result(life::kRows, life::kCols);
  std::vector<Grid> generations;
  {
    std::vector<std::jthread> legacy;
    for (int i = 0; i < kLegacyThreads; ++i)
      legacy.emplace_back(legacy_worker, &requests);
    struct CloseOnExit {  // destroyed first: the legacy threads end, then the jthreads join
      weft::channel<Request>& channel;
      ~CloseOnExit() { channel.close(); }
    } close_on_exit{requests};

    weft::io_loop::options options;
    options.slow_step = 50ms;
    weft::io_loop loop{options};
    generations = loop.run(port(&requests, &naive_result));
  }
  const std::string elapsed = life::ms_since(start);

  life::print_columns(generations);
  std::cout << "whole run: " << elapsed << ", of which the naive generation blocked the loop for "
            << "at least " << life::kRows * life::kCols * life::kIoLatency.count() / 1000 << " ms\n"
            << "slow-step warnings naming the naive port: " << naive_warnings << '\n';

  const bool naive_right = naive_result == life::serial_reference()[1];
  if (!life::matches_reference(generations) || !naive_right || legacy_steps != life::kCellSteps ||
      naive_warnings < 1) {
    std::cout << "S14 stage 5 FAILED: grid differs from the serial reference, or naive grid right="
              << naive_right << " legacy steps=" << legacy_steps << " warnings=" << naive_warnings
              << '\n';
    return 1;
  }
  std::cout << "S14 stage 5 done (coroutines + legacy threads): " << life::kGenerations
            << " generations, grid matches the serial reference, " << legacy_steps
            << " cell steps: coroutines on the loop, blocking game_logic on " << kLegacyThreads
            << " legacy threads; the naive port blocked the loop and the slow-step warning named "
               "it\n";
  return 0;
}

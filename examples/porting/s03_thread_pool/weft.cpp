// S3 (seed 000), weft version — `ThreadPoolExecutor(max_workers=3)`: `submit` two tasks and print
// each `result()`; then `map` over four names. `task` sums range(10001).
//
// What changed from threads.cpp, and why:
//  - The hand-written pool (jthreads + mutex + condition_variable + packaged_task) is gone:
//    weft::thread_pool is that pool, with options{.workers = 3}. Its destructor lets queued work
//    run and joins the workers, like leaving `with ThreadPoolExecutor(...)`.
//  - executor.submit(fn) -> pool.submit(fn), which returns a weft::pool_future. From a plain thread
//    (main here) future.get() blocks, like result().
//  - executor.map(fn, items) -> pool.map(fn, items): results in input order, blocking the caller.
//  - New in weft: a coroutine does not block on a future, it awaits it. The last part runs the
//    same work from a loop coroutine with `co_await pool.submit(...)` and
//    `co_await weft::offload(pool, task, name)`: the loop thread stays free while the pool works,
//    and the coroutine resumes on the loop with the result.
//  - log(): weft::log names the pool worker that runs each job ("[weft pool-1] I ...").
//
// Run: ./porting_s03_thread_pool_weft

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/offload.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

namespace {

long task(const std::string& name) {
  weft::log("Sub-Thread {}: starting", name);
  long result = 0;
  for (long i = 0; i < 10001; ++i)
    result += i;
  weft::log("Sub-Thread {}: finishing result: {}", name, result);
  return result;
}

// The same submit/result pair from a loop coroutine: await instead of blocking.
weft::task<long> from_the_loop(weft::thread_pool& pool) {
  const long submitted = co_await pool.submit([] { return task("Third"); });
  const long offloaded = co_await weft::offload(pool, task, std::string("Fourth"));
  co_return submitted + offloaded;
}

}  // namespace

int main() {
  weft::log("Main-Thread : before creating and running thread");
  weft::thread_pool::options options;
  options.workers = 3;  // max_workers=3
  long r1 = 0;
  long r2 = 0;
  long awaited = 0;
  std::vector<long> mapped;
  {
    weft::thread_pool executor{options};
    // main1: submit + result().
    auto task1 = executor.submit([] { return task("First"); });
    auto task2 = executor.submit([] { return task("Second"); });
    r1 = task1.get();  // blocks this plain thread until the job has run
    r2 = task2.get();
    fmt::print("{}\n{}\n", r1, r2);

    // main2: map over four names.
    mapped = executor.map(task, std::vector<std::string>{"First", "Second", "Third", "Fourth"});

    // The coroutine way: the loop awaits the pool.
    awaited = weft::run(from_the_loop(executor));
  }  // ~thread_pool: queued work runs, workers joined
  const std::string list = fmt::format("[{}]", fmt::join(mapped, ", "));
  fmt::print("{}\n", list);

  const bool ok = r1 == 50005000 && r2 == 50005000 && mapped == std::vector<long>(4, 50005000) &&
                  awaited == 2 * 50005000L;
  if (!ok) {
    fmt::print("S03 FAILED (weft)\n");
    return 1;
  }
  fmt::print("S03 done (weft): submit={},{} map={} awaited from the loop={}\n", r1, r2, list,
             awaited);
  return 0;
}

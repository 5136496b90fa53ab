// S3 (seed 000) — `ThreadPoolExecutor(max_workers=3)`: `submit(task, 'First')` and
// `submit(task, 'Second')` then print each `result()`; then `executor.map(task, [four names])`
// and print the list. `task` sums range(10001).
//
// What it shows: a pool of workers, futures, map.
// The C++ standard library has futures (std::packaged_task, std::future) but no thread pool;
// std::async starts a thread per call and cannot cap the workers at 3. So, as most C++ code bases
// do, we write a small one: N std::jthreads taking std::function jobs from a mutex+condvar queue.
// Its destructor drains the queue and joins, which is what leaving `with ThreadPoolExecutor(...)`
// does in Python.
//
// Run: ./porting_s03_thread_pool_threads

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <syncstream>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

const auto t0 = std::chrono::steady_clock::now();

void log(const std::string& message) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::osyncstream(std::cout) << std::setw(5) << ms.count() << " ms: " << message << '\n';
}

class ThreadPoolExecutor {
 public:
  explicit ThreadPoolExecutor(std::size_t max_workers) {
    for (std::size_t i = 0; i < max_workers; ++i)
      workers_.emplace_back([this] { work(); });
  }

  // Like shutdown(wait=True): queued jobs still run, then the workers are joined.
  ~ThreadPoolExecutor() {
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
    }
    ready_.notify_all();
    workers_.clear();  // ~jthread joins
  }

  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  template <class F, class... Args>
  auto submit(F f, Args... args) {
    using R = std::invoke_result_t<F, Args...>;
    // packaged_task is move-only and std::function needs a copyable target, hence shared_ptr.
    auto job = std::make_shared<std::packaged_task<R()>>(
        [f = std::move(f), ... args = std::move(args)] { return f(args...); });
    std::future<R> result = job->get_future();
    {
      std::lock_guard lock(mutex_);
      jobs_.emplace_back([job] { (*job)(); });
    }
    ready_.notify_one();
    return result;
  }

  // executor.map: submit everything first, then collect results in input order.
  template <class F, class T>
  auto map(F f, const std::vector<T>& items) {
    std::vector<std::future<std::invoke_result_t<F, T>>> futures;
    for (const T& item : items)
      futures.push_back(submit(f, item));
    std::vector<std::invoke_result_t<F, T>> results;
    for (auto& fut : futures)
      results.push_back(fut.get());
    return results;
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return shutting_down_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shutting down and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();  // outside the lock, so the other workers can take jobs meanwhile
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool shutting_down_ = false;
  std::vector<std::jthread> workers_;  // last member: threads start after the rest exists
};

long task(const std::string& name) {
  log("Sub-Thread " + name + ": starting");
  long result = 0;
  for (long i = 0; i < 10001; ++i)
    result += i;
  log("Sub-Thread " + name + ": finishing result: " + std::to_string(result));
  return result;
}

}  // namespace

int main() {
  log("Main-Thread : before creating and running thread");
  long r1 = 0;
  long r2 = 0;
  std::vector<long> mapped;
  {
    ThreadPoolExecutor executor(3);
    // main1: submit + result(). (The seed passes the tuple ('First',); a plain name is meant.)
    auto task1 = executor.submit(task, std::string("First"));
    auto task2 = executor.submit(task, std::string("Second"));
    r1 = task1.get();  // blocks until that job has run, like result()
    r2 = task2.get();
    std::cout << r1 << '\n' << r2 << '\n';

    // main2: map over four names.
    mapped = executor.map(task, std::vector<std::string>{"First", "Second", "Third", "Fourth"});
  }  // like leaving `with ThreadPoolExecutor(...)`: workers joined here

  std::string list = "[";
  for (std::size_t i = 0; i < mapped.size(); ++i) {
    list += (i ? ", " : "") + std::to_string(mapped[i]);
  }
  list += "]";
  std::cout << list << '\n';

  const bool ok = r1 == 50005000 && r2 == 50005000 && mapped.size() == 4 &&
                  mapped == std::vector<long>(4, 50005000);
  if (!ok) {
    std::cout << "S03 FAILED\n";
    return 1;
  }
  std::cout << "S03 done: submit=" << r1 << "," << r2 << " map=" << list << '\n';
  return 0;
}

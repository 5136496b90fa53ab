#include <weft/stop_timer.hpp>

#include <weft/log.hpp>

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace weft {
namespace {

/// The background thread for timers set outside a loop. Its heap is guarded by `mutex`; a timer
/// fires on this thread with the mutex released, and a stop_timer being destroyed waits (through
/// `firing`) until its own firing is over, so `source` is never touched after the destructor.
class timer_thread {
 public:
  static timer_thread& instance() {
    static timer_thread shared;
    return shared;
  }

  void add(detail::timer_node* node) {
    std::lock_guard lock{mutex_};
    heap_.push(node);
    changed_.notify_one();
  }

  void remove(detail::timer_node* node) {
    std::unique_lock lock{mutex_};
    if (node->queued()) {
      heap_.erase(node);
      return;
    }
    fired_.wait(lock, [&] { return firing_ != node; });
  }

 private:
  timer_thread() {
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    thread_ = std::thread([this] { run(); });
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  ~timer_thread() {
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }

  void run() {
    set_thread_name("weft-timers");
    std::unique_lock lock{mutex_};
    while (!stopping_) {
      detail::timer_node* first = heap_.top();
      if (first == nullptr) {
        changed_.wait(lock);
        continue;
      }
      if (auto deadline = first->deadline; deadline > std::chrono::steady_clock::now()) {
        // A copy: while we wait, the node may be removed and its owner gone.
        changed_.wait_until(lock, deadline);
        continue;
      }
      heap_.pop();
      firing_ = first;
      lock.unlock();
      first->fire(first);
      lock.lock();
      firing_ = nullptr;
      fired_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::condition_variable fired_;
  detail::timer_heap heap_;
  detail::timer_node* firing_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

stop_timer::stop_timer(std::stop_source& source, clock::time_point deadline)
    : source_(source), loop_(io_loop::current()) {
  this->deadline = deadline;
  fire = &on_fire;
  if (loop_ != nullptr)
    loop_->add_timer(this);
  else
    timer_thread::instance().add(this);
}

stop_timer::~stop_timer() {
  if (loop_ != nullptr)
    loop_->remove_timer(this);
  else
    timer_thread::instance().remove(this);
}

void stop_timer::on_fire(timer_node* self) noexcept {
  auto* timer = static_cast<stop_timer*>(self);
  timer->fired_.store(true, std::memory_order_release);
  timer->source_.request_stop();
}

stop_timer::clock::time_point stop_timer::now() noexcept {
  io_loop* loop = io_loop::current();
  return loop != nullptr ? loop->now() : clock::now();
}

}  // namespace weft

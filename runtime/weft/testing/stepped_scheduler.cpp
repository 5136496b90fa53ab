#include <weft/testing/stepped_scheduler.hpp>

#include <random>

namespace weft::testing {

stepped_scheduler::~stepped_scheduler() {
  WEFT_CHECK(ready_.empty(),
             "stepped_scheduler destroyed with {} ready item(s): run them (run_until_idle) first",
             ready_.size());
}

void stepped_scheduler::enqueue(work_item* item) noexcept {
  std::lock_guard lock{mutex_};
  ready_.push_back(item);
}

std::size_t stepped_scheduler::ready() const {
  std::lock_guard lock{mutex_};
  return ready_.size();
}

void stepped_scheduler::run(work_item* item) {
  detail::executor_guard on_this_thread{this};
  detail::run_item(item);
}

bool stepped_scheduler::step() {
  work_item* item = nullptr;
  {
    std::lock_guard lock{mutex_};
    if (ready_.empty()) return false;
    item = ready_.front();
    ready_.pop_front();
  }
  run(item);
  return true;
}

void stepped_scheduler::step(std::size_t index) {
  work_item* item = nullptr;
  {
    std::lock_guard lock{mutex_};
    WEFT_CHECK(index < ready_.size(), "stepped_scheduler::step({}) with only {} item(s) ready",
               index, ready_.size());
    item = ready_[index];
    ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(index));
  }
  run(item);
}

std::size_t stepped_scheduler::run_until_idle() {
  std::size_t steps = 0;
  while (step())
    ++steps;
  return steps;
}

std::size_t stepped_scheduler::run_until_idle_shuffled(std::uint64_t seed) {
  std::mt19937_64 random{seed};
  std::size_t steps = 0;
  for (std::size_t n = ready(); n != 0; n = ready(), ++steps)
    step(std::uniform_int_distribution<std::size_t>{0, n - 1}(random));
  return steps;
}

}  // namespace weft::testing

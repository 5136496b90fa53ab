#include <weft/sync_wait.hpp>

namespace weft::detail {

void blocking_executor::run(driver body) {
  if (executor* outer = current_executor(); outer != nullptr)
    fatal(
        "sync_wait called on a thread running '{}': it would block every coroutine there; "
        "co_await the task instead",
        outer->name());
  executor_guard on_this_thread{this};
  // The driver's token stays whatever the task had bound; sync_wait adds no stop source of its own.
  std::move(body).start(this, std::stop_token{}, nullptr);
  while (!done_) {
    work_item* item = inbox_.take_all();
    if (item == nullptr) {
      inbox_.wait_nonempty();
      continue;
    }
    while (item != nullptr) {
      work_item* next = item->next;  // read first: running the item may end its owner's life
      run_item(item);
      item = next;
    }
  }
}

}  // namespace weft::detail

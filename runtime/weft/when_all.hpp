// weft/when_all.hpp — await several tasks concurrently and get all their results.
//
// The children start one after another on the awaiting thread, each running until its first
// suspension, and then proceed concurrently (on whatever executors they move to). The first child
// to fail asks its siblings to stop; when_all still waits for every one of them, then rethrows that
// first failure. Nothing started by when_all outlives the co_await.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/detail/child_group.hpp>
#include <weft/detail/drive_into.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/task.hpp>

#include <atomic>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {
namespace detail {

/// Remembers which child failed first.
class first_failure {
 public:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  /// Returns true for the first caller only.
  bool record(std::size_t index) noexcept {
    std::size_t expected = none;
    return index_.compare_exchange_strong(expected, index, std::memory_order_acq_rel);
  }
  [[nodiscard]] std::size_t index() const noexcept {
    return index_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::size_t> index_{none};
};

template <class T>
driver when_all_child(task<T> t, outcome<T>* out, child_group* group, first_failure* failure,
                      std::size_t index) {
  return drive_into(std::move(t), out, [=](const outcome<T>& result) noexcept {
    if (result.has_exception() && failure->record(index)) group->request_stop();
  });
}

}  // namespace detail

/// `co_await when_all(a(), b(), c())`
///   Yields: std::tuple of the children's results, in argument order (void → std::monostate,
///     T& → std::reference_wrapper<T>). If a child threw, rethrows the first exception to occur
///     after every child has finished.
///   Resumes on: the executor the awaiter was running on.
///   Cancellation: a stop request on the awaiter is forwarded to every child; the first failing
///     child also requests stop on its siblings.
template <class... Ts>
task<std::tuple<stored_result_t<Ts>...>> when_all(task<Ts>... children) {
  std::tuple<detail::outcome<Ts>...> results;
  detail::child_group group;
  detail::first_failure failure;
  group.link(co_await get_stop_token());
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (group.start(
         detail::when_all_child(std::move(children), &std::get<I>(results), &group, &failure, I)
             .with_task_name(detail::current_task_name()),
         nullptr),
     ...);
  }
  (std::index_sequence_for<Ts...>{});
  co_await group.join();
  if (std::size_t failed = failure.index(); failed != detail::first_failure::none) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((I == failed ? (void)std::get<I>(results).take() : void()), ...);
    }
    (std::index_sequence_for<Ts...>{});
  }
  co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<stored_result_t<Ts>...>{std::get<I>(results).take()...};
  }
  (std::index_sequence_for<Ts...>{});
}

/// `co_await when_all(std::move(vector_of_tasks))` — the same over a runtime-sized set.
///   Yields: std::vector of results in input order (for task<void>: nothing).
///   Resumes on / Cancellation: as the variadic form.
template <class T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<stored_result_t<T>>>> when_all(
    std::vector<task<T>> children) {
  std::vector<detail::outcome<T>> results(children.size());
  detail::child_group group;
  detail::first_failure failure;
  group.link(co_await get_stop_token());
  for (std::size_t i = 0; i < children.size(); ++i)
    group.start(detail::when_all_child(std::move(children[i]), &results[i], &group, &failure, i)
                    .with_task_name(detail::current_task_name()),
                nullptr);
  co_await group.join();
  if (std::size_t failed = failure.index(); failed != detail::first_failure::none)
    (void)results[failed].take();
  if constexpr (!std::is_void_v<T>) {
    std::vector<stored_result_t<T>> values;
    values.reserve(results.size());
    for (auto& result : results)
      values.push_back(result.take());
    co_return values;
  }
}

}  // namespace weft

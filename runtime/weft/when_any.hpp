// weft/when_any.hpp — race several tasks: the first to finish wins, the others are cancelled.
//
// The children start one after another on the awaiting thread. The first child to finish — with a
// value or an exception — wins and asks the others to stop. when_any then waits until every loser
// has finished too (their results and exceptions, typically operation_cancelled, are discarded), so
// nothing it started outlives the co_await.
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
#include <variant>
#include <vector>

namespace weft {

/// What when_any over a vector yields: which child won, and its result.
template <class T>
struct when_any_result {
  std::size_t index;
  stored_result_t<T> value;
};

namespace detail {

/// Remembers which child finished first.
class first_finisher {
 public:
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  bool claim(std::size_t index) noexcept {
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
driver when_any_child(task<T> t, outcome<T>* out, child_group* group, first_finisher* winner,
                      std::size_t index) {
  return drive_into(std::move(t), out, [=](const outcome<T>&) noexcept {
    if (winner->claim(index)) group->request_stop();
  });
}

}  // namespace detail

/// `co_await when_any(a(), b(), c())`
///   Yields: std::variant<stored_result_t<Ts>...> holding the winner's result at the winner's index
///     (`.index()` says which child won). If the winner threw, rethrows its exception.
///   Resumes on: the executor the awaiter was running on, after every loser has finished.
///   Cancellation: a stop request on the awaiter is forwarded to every child; the first to finish
///     then wins as usual (typically with operation_cancelled, which is rethrown).
template <class... Ts>
requires(sizeof...(Ts) >
         0) task<std::variant<stored_result_t<Ts>...>> when_any(task<Ts>... children) {
  std::tuple<detail::outcome<Ts>...> results;
  detail::child_group group;
  detail::first_finisher winner;
  group.link(co_await get_stop_token());
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (group.start(
         detail::when_any_child(std::move(children), &std::get<I>(results), &group, &winner, I)
             .with_task_name(detail::current_task_name()),
         nullptr),
     ...);
  }
  (std::index_sequence_for<Ts...>{});
  co_await group.join();
  std::optional<std::variant<stored_result_t<Ts>...>> value;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((I == winner.index() ? (void)value.emplace(std::in_place_index<I>, std::get<I>(results).take())
                          : void()),
     ...);
  }
  (std::index_sequence_for<Ts...>{});
  co_return std::move(*value);
}

/// `co_await when_any(std::move(vector_of_tasks))` — the same over a runtime-sized, non-empty set.
///   Yields: when_any_result<T>{index, value} of the winner; rethrows if the winner threw.
///   Resumes on / Cancellation: as the variadic form.
template <class T>
task<when_any_result<T>> when_any(std::vector<task<T>> children) {
  WEFT_CHECK(!children.empty(), "when_any over an empty vector would never finish");
  std::vector<detail::outcome<T>> results(children.size());
  detail::child_group group;
  detail::first_finisher winner;
  group.link(co_await get_stop_token());
  for (std::size_t i = 0; i < children.size(); ++i)
    group.start(detail::when_any_child(std::move(children[i]), &results[i], &group, &winner, i)
                    .with_task_name(detail::current_task_name()),
                nullptr);
  co_await group.join();
  std::size_t index = winner.index();
  co_return when_any_result<T>{index, results[index].take()};
}

}  // namespace weft

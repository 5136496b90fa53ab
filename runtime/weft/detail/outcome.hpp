// weft/detail/outcome.hpp — the result of a finished child: a value, an exception, or nothing yet.
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft {

/// How a result of type T is stored in a container: void becomes std::monostate and T& becomes
/// std::reference_wrapper<T>, so that tuples and vectors of results are always well-formed.
template <class T>
using stored_result_t =
    std::conditional_t<std::is_void_v<T>, std::monostate,
                       std::conditional_t<std::is_reference_v<T>,
                                          std::reference_wrapper<std::remove_reference_t<T>>, T>>;

namespace detail {

template <class T>
class outcome {
 public:
  void set_value(stored_result_t<T> value) { state_.template emplace<1>(std::move(value)); }
  void set_exception(std::exception_ptr error) noexcept {
    state_.template emplace<2>(std::move(error));
  }

  [[nodiscard]] bool has_value() const noexcept { return state_.index() == 1; }
  [[nodiscard]] bool has_exception() const noexcept { return state_.index() == 2; }
  [[nodiscard]] const std::exception_ptr& exception() const noexcept { return std::get<2>(state_); }

  /// The value, or rethrows the exception.
  stored_result_t<T> take() {
    if (state_.index() == 2) std::rethrow_exception(std::get<2>(state_));
    return std::move(std::get<1>(state_));
  }

 private:
  std::variant<std::monostate, stored_result_t<T>, std::exception_ptr> state_;
};

}  // namespace detail
}  // namespace weft

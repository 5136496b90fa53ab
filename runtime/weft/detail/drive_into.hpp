// weft/detail/drive_into.hpp — a driver that runs a task and keeps what it produced.
#pragma once

#include <weft/detail/driver.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/task.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace weft::detail {

/// Awaits `t` and stores its value or exception in `*out`, which must outlive the driver (the
/// runner that owns it waits for the driver's completion).
template <class T>
driver drive_into(task<T> t, outcome<T>* out) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      out->set_value({});
    } else {
      out->set_value(co_await std::move(t));
    }
  } catch (...) {
    out->set_exception(std::current_exception());
  }
}

}  // namespace weft::detail

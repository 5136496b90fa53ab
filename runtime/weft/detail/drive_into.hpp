// weft/detail/drive_into.hpp — a driver that runs a task and keeps what it produced.
#pragma once

#include <weft/detail/driver.hpp>
#include <weft/detail/outcome.hpp>
#include <weft/task.hpp>

#include <exception>
#include <type_traits>
#include <utility>

namespace weft::detail {

struct no_follow_up {
  template <class Outcome>
  void operator()(const Outcome&) const noexcept {}
};

/// Awaits `t` and stores its value or exception in `*out`, which must outlive the driver (the
/// runner that owns it waits for the driver's completion); then calls `follow_up(*out)` (when_all
/// and when_any use it to stop the siblings).
template <class T, class FollowUp = no_follow_up>
driver drive_into(task<T> t, outcome<T>* out, FollowUp follow_up = {}) {
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
  follow_up(*out);
}

}  // namespace weft::detail

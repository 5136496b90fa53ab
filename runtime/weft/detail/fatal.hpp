// weft/detail/fatal.hpp — loud failure for misuse that must not go unnoticed.
//
// These checks stay on in release builds: each guards a mistake (awaiting a moved-from task,
// destroying a scope with running children) whose silent outcome would be a use-after-free or a
// lost error.
#pragma once

#include <fmt/format.h>

#include <utility>

namespace weft::detail {

/// Writes "weft: fatal: <message>" to stderr and aborts.
[[noreturn]] void fatal_message(std::string_view message) noexcept;

template <class... Args>
[[noreturn]] void fatal(fmt::format_string<Args...> format, Args&&... args) noexcept {
  fatal_message(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace weft::detail

/// Aborts with a message when `condition` is false; active in every build type.
#define WEFT_CHECK(condition, ...)        \
  do {                                    \
    if (!(condition)) [[unlikely]]        \
      ::weft::detail::fatal(__VA_ARGS__); \
  } while (false)

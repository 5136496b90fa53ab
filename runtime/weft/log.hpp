// weft/log.hpp — log lines that say who is speaking.
//
// Every line is prefixed with the thread's name (the loop's, a pool worker's, or one given with
// set_thread_name) and the name of the task running on it, if it has one:
//     [weft loop/http-conn-7] W slow step: 212 ms
// Lines are written to stderr with one write(2) each, so lines from different threads never
// interleave. The threshold comes from the WEFT_LOG environment variable (debug, info, warning,
// error; default info) and can be changed with set_log_level.
#pragma once

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace weft {

enum class log_level { debug, info, warning, error };

/// Names the calling thread in log lines and, truncated to 15 bytes, for `top -H` and debuggers.
void set_thread_name(std::string_view name);
/// The calling thread's name in log lines ("main" unless named otherwise).
[[nodiscard]] std::string_view thread_name() noexcept;

void set_log_level(log_level level) noexcept;

/// Where log lines go: a function given each whole line (without the newline), from any thread,
/// concurrently. nullptr (the default) writes them to stderr.
using log_sink = void (*)(log_level level, std::string_view line);
void set_log_sink(log_sink sink) noexcept;
[[nodiscard]] bool log_enabled(log_level level) noexcept;

namespace detail {
void write_log_line(log_level level, fmt::string_view format, fmt::format_args args);
}  // namespace detail

template <class... Args>
void log_at(log_level level, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) detail::write_log_line(level, format, fmt::make_format_args(args...));
}

/// Logs at info level.
template <class... Args>
void log(fmt::format_string<Args...> format, Args&&... args) {
  log_at(log_level::info, format, std::forward<Args>(args)...);
}
template <class... Args>
void log_debug(fmt::format_string<Args...> format, Args&&... args) {
  log_at(log_level::debug, format, std::forward<Args>(args)...);
}
template <class... Args>
void log_warning(fmt::format_string<Args...> format, Args&&... args) {
  log_at(log_level::warning, format, std::forward<Args>(args)...);
}
template <class... Args>
void log_error(fmt::format_string<Args...> format, Args&&... args) {
  log_at(log_level::error, format, std::forward<Args>(args)...);
}

}  // namespace weft

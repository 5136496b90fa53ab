#include <weft/log.hpp>

#include <weft/detail/task_name.hpp>

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace weft {
namespace {

log_level level_from_environment() noexcept {
  const char* value = std::getenv("WEFT_LOG");
  if (value == nullptr) return log_level::info;
  if (std::strcmp(value, "debug") == 0) return log_level::debug;
  if (std::strcmp(value, "warning") == 0) return log_level::warning;
  if (std::strcmp(value, "error") == 0) return log_level::error;
  return log_level::info;
}

std::atomic<log_level> threshold{level_from_environment()};
std::atomic<log_sink> sink{nullptr};
thread_local std::string this_thread_name = "main";

}  // namespace

void set_thread_name(std::string_view name) {
  this_thread_name.assign(name);
  std::string short_name{name.substr(0, 15)};  // the kernel's limit, terminator excluded
  pthread_setname_np(pthread_self(), short_name.c_str());
}

std::string_view thread_name() noexcept {
  return this_thread_name;
}

void set_log_sink(log_sink new_sink) noexcept {
  sink.store(new_sink, std::memory_order_release);
}

void set_log_level(log_level level) noexcept {
  threshold.store(level, std::memory_order_relaxed);
}

bool log_enabled(log_level level) noexcept {
  return level >= threshold.load(std::memory_order_relaxed);
}

namespace detail {

void write_log_line(log_level level, fmt::string_view format, fmt::format_args args) {
  static constexpr char level_letter[] = {'D', 'I', 'W', 'E'};
  fmt::memory_buffer line;
  const char* task = current_task_name();
  if (task != nullptr)
    fmt::format_to(std::back_inserter(line), "[weft {}/{}] {} ", this_thread_name, task,
                   level_letter[static_cast<int>(level)]);
  else
    fmt::format_to(std::back_inserter(line), "[weft {}] {} ", this_thread_name,
                   level_letter[static_cast<int>(level)]);
  fmt::vformat_to(std::back_inserter(line), format, args);
  if (log_sink custom = sink.load(std::memory_order_acquire)) {
    custom(level, std::string_view{line.data(), line.size()});
    return;
  }
  line.push_back('\n');
  // One write per line keeps lines from concurrent threads whole; a short write to stderr is not
  // worth retrying for a log line.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace detail
}  // namespace weft

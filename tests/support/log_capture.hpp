// tests/support/log_capture.hpp — collect weft::log lines during a test.
#pragma once

#include <weft/log.hpp>

#include <mutex>
#include <string>
#include <string_view>

namespace weft::test {

/// While alive, every weft log line is appended to text() instead of going to stderr.
class log_capture {
 public:
  log_capture() { weft::set_log_sink(&append); }
  ~log_capture() { weft::set_log_sink(nullptr); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  [[nodiscard]] std::string text() const {
    std::lock_guard lock{mutex()};
    return buffer();
  }

 private:
  static void append(weft::log_level, std::string_view line) {
    std::lock_guard lock{mutex()};
    buffer().append(line).push_back('\n');
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::string& buffer() {
    static std::string b;
    return b;
  }
};

}  // namespace weft::test

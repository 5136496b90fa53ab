// tests/support/pipe.hpp — a plain pipe whose ends close themselves.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

namespace weft::test {

struct test_pipe {
  int read_end = -1;
  int write_end = -1;
  test_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read_end = fds[0];
    write_end = fds[1];
  }
  ~test_pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
  test_pipe(const test_pipe&) = delete;
  test_pipe& operator=(const test_pipe&) = delete;
};

}  // namespace weft::test

// tests/support/fd_count.hpp — how many descriptors this process has open, to prove none leak.
#pragma once

#include <dirent.h>

#include <cstddef>
#include <cstdlib>
#include <stdexcept>

namespace weft::test {

inline std::size_t open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw std::runtime_error("cannot list /proc/self/fd");
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  ::closedir(dir);
  return count - 1;  // the directory stream's own descriptor
}

/// The highest descriptor number open in this process.
inline int highest_open_fd() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw std::runtime_error("cannot list /proc/self/fd");
  int highest = -1;
  int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd != own && fd > highest) highest = fd;
  }
  ::closedir(dir);
  return highest;
}

}  // namespace weft::test

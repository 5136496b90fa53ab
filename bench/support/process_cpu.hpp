// bench/support/process_cpu.hpp — CPU time the whole process has used, for the idle-CPU
// benchmarks (a spinning thread that should have gone to sleep shows up here).
#pragma once

#include <sys/resource.h>

namespace weft::bench {

/// User + system CPU seconds of every thread of this process so far.
inline double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace weft::bench

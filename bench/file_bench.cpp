// bench/file_bench.cpp — sequential reads of a file in the page cache.
//
//   weft_read_at<D>/K    weft::file::read_at over a 1 GiB file in K KiB reads, D reads in flight (D
//                        coroutines on one loop, each reading every D-th block into its own
//                        buffer); bytes/s. Baseline: pread_loop/K — a plain pread(2) loop with the
//                        same buffer size on the calling thread.
//   weft_read_some/K     weft::file::read_some (at the file position), one read at a time.
//
// The file is /tmp/weft-file-bench-1GiB (WEFT_FILE_BENCH_PATH to choose another), created once and
// read once before the benchmarks run, so every run reads from the page cache: this measures
// weft's overhead over the copy, not the disk.
//
// Run: scripts/bench.sh file_bench
#include <weft/file.hpp>
#include <weft/io_loop.hpp>
#include <weft/when_all.hpp>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using weft::task;

constexpr std::uint64_t file_bytes = std::uint64_t{1} << 30;

weft::io_loop::options quiet() {
  weft::io_loop::options options;
  options.slow_step = std::chrono::milliseconds(0);
  return options;
}

struct free_deleter {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};
using buffer_ptr = std::unique_ptr<std::byte, free_deleter>;

/// A page-aligned buffer, touched so that no benchmark pays its page faults.
buffer_ptr make_buffer(std::size_t size) {
  auto* p = static_cast<std::byte*>(std::aligned_alloc(4096, size));
  if (p == nullptr) throw std::bad_alloc{};
  std::memset(p, 1, size);
  return buffer_ptr{p};
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

/// Reads the whole file with pread in `size`-byte blocks; the bytes read.
std::uint64_t pread_all(int fd, std::byte* buffer, std::size_t size) {
  std::uint64_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buffer, size, static_cast<off_t>(offset));
    if (n < 0) fail("pread");
    if (n == 0) return offset;
    offset += static_cast<std::uint64_t>(n);
  }
}

/// The benchmark file, 1 GiB, created on first use and read once to bring it into the page cache.
const std::string& bench_file() {
  static const std::string path = [] {
    const char* chosen = std::getenv("WEFT_FILE_BENCH_PATH");
    std::string p = chosen != nullptr ? chosen : "/tmp/weft-file-bench-1GiB";
    struct ::stat status {};
    if (::stat(p.c_str(), &status) != 0 ||
        static_cast<std::uint64_t>(status.st_size) != file_bytes) {
      int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) fail("create " + p);
      constexpr std::size_t block = 1 << 20;
      std::vector<unsigned char> data(block);
      for (std::size_t i = 0; i < block; ++i)
        data[i] = static_cast<unsigned char>(i * 131 + 7);
      for (std::uint64_t written = 0; written < file_bytes; written += block)
        if (::write(fd, data.data(), block) != static_cast<ssize_t>(block)) fail("write " + p);
      ::close(fd);
    }
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("open " + p);
    buffer_ptr buffer = make_buffer(1 << 20);
    if (pread_all(fd, buffer.get(), 1 << 20) != file_bytes) fail("warm " + p);
    ::close(fd);
    return p;
  }();
  return path;
}

void pread_loop(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0)) * 1024;
  int fd = ::open(bench_file().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open");
  buffer_ptr buffer = make_buffer(size);
  for (auto _ : state) {
    std::uint64_t read = pread_all(fd, buffer.get(), size);
    benchmark::DoNotOptimize(read);
    benchmark::ClobberMemory();
  }
  ::close(fd);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes));
}
BENCHMARK(pread_loop)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Reads blocks first, first + stride, ... of `f` into `buffer` until the end of the file.
task<void> read_blocks(weft::file* f, std::byte* buffer, std::size_t size, std::uint64_t first,
                       std::uint64_t stride) {
  for (std::uint64_t offset = first;; offset += stride) {
    std::size_t n = co_await f->read_at(std::span{buffer, size}, offset);
    if (n < size) co_return;  // the end of the file
  }
}

template <std::size_t depth>
void weft_read_at(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0)) * 1024;
  weft::io_loop loop{quiet()};
  loop.run([](benchmark::State* s, std::size_t size) -> task<void> {
    weft::file f = co_await weft::file::open(bench_file(), weft::open_mode::read);
    std::vector<buffer_ptr> buffers;
    for (std::size_t i = 0; i < depth; ++i)
      buffers.push_back(make_buffer(size));
    for (auto _ : *s) {
      if (depth == 1) {
        co_await read_blocks(&f, buffers[0].get(), size, 0, size);
      } else {
        std::vector<task<void>> readers;
        for (std::size_t i = 0; i < depth; ++i)
          readers.push_back(read_blocks(&f, buffers[i].get(), size, i * size, depth * size));
        co_await weft::when_all(std::move(readers));
      }
      benchmark::ClobberMemory();
    }
  }(&state, size));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes));
}
BENCHMARK_TEMPLATE(weft_read_at, 1)
    ->Arg(128)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(weft_read_at, 2)
    ->Arg(128)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(weft_read_at, 4)
    ->Arg(128)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void weft_read_some(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0)) * 1024;
  weft::io_loop loop{quiet()};
  loop.run([](benchmark::State* s, std::size_t size) -> task<void> {
    weft::file f = co_await weft::file::open(bench_file(), weft::open_mode::read);
    buffer_ptr buffer = make_buffer(size);
    for (auto _ : *s) {
      if (::lseek(f.native_handle(), 0, SEEK_SET) != 0) fail("lseek");
      for (;;) {
        std::size_t n = co_await f.read_some(std::span{buffer.get(), size});
        if (n == 0) break;
      }
      benchmark::ClobberMemory();
    }
  }(&state, size));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * file_bytes));
}
BENCHMARK(weft_read_some)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

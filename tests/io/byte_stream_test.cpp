// byte_stream_ops over a stream of the user's own, whose steps are plain tasks: write_all and
// read_exact then run as coroutines (the frameless awaiter needs steps that complete into a work
// item, which only weft's io_uring operations do).
#include <weft/byte_stream.hpp>
#include <weft/io_error.hpp>
#include <weft/sync_wait.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <system_error>

using weft::task;

namespace {

// Moves at most `chunk` bytes per step, like a stream under pressure.
class trickle_stream : public weft::byte_stream_ops<trickle_stream> {
 public:
  trickle_stream(std::string input, std::size_t chunk) : input_(std::move(input)), chunk_(chunk) {}

  task<std::size_t> write_some(std::span<const std::byte> data) {
    std::size_t count = std::min(data.size(), chunk_);
    written_.append(reinterpret_cast<const char*>(data.data()), count);
    ++steps_;
    co_return count;
  }
  task<std::size_t> read_some(std::span<std::byte> buffer) {
    std::size_t count = std::min({buffer.size(), chunk_, input_.size() - read_});
    std::copy_n(reinterpret_cast<const std::byte*>(input_.data()) + read_, count, buffer.data());
    read_ += count;
    ++steps_;
    co_return count;
  }
  [[nodiscard]] std::string describe(std::string_view operation) const {
    return std::string{operation} + " trickle";
  }

  std::string written_;
  int steps_ = 0;

 private:
  std::string input_;
  std::size_t read_ = 0;
  std::size_t chunk_;
};

}  // namespace

TEST_CASE("write_all over a stream of task steps delivers every byte in order",
          "[io][byte_stream]") {
  trickle_stream stream{"", 3};
  auto body = [](trickle_stream* s) -> task<void> { co_await s->write_all("hello, trickle"); };
  weft::sync_wait(body(&stream));
  CHECK(stream.written_ == "hello, trickle");
  CHECK(stream.steps_ == 5);  // 14 bytes, 3 at a time
}

TEST_CASE("read_exact over a stream of task steps says how much arrived before the end",
          "[io][byte_stream]") {
  trickle_stream stream{"abcde", 2};
  auto body = [](trickle_stream* s) -> task<std::string> {
    std::byte buffer[8];
    try {
      co_await s->read_exact(buffer);
    } catch (const std::system_error& e) {
      co_return e.what();
    }
    co_return "(no error)";
  };
  std::string error = weft::sync_wait(body(&stream));
  CHECK_THAT(error, Catch::Contains("read trickle: 5 of 8 bytes arrived"));
}

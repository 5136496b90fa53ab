// cell_service.hpp — the I/O of game_logic in the weft stages (4 and 6): a real round trip over a
// socket to a small "cell service", instead of the threaded stages' blocking select().
//
// Every cell has its own connection (a Unix stream socket pair, weft::stream_socket_pair()). The
// service end of each connection is served by a coroutine on the same loop: it reads a 2-byte
// request (state, neighbours), takes kIoLatency to answer — the remote side's response time, a
// timer on the loop — and sends the request back. The cell applies the rule to the bytes it reads
// back, so a lost or garbled answer shows up as a grid that differs from the serial reference.
//
// Nothing here blocks a thread: the reads, writes and timers are io_uring operations and timer-heap
// entries; while they are pending, the coroutine waiting on them is suspended and the loop runs the
// others. 64 cells plus 64 service handlers are 128 coroutine frames on one thread.
#pragma once

#include "life.hpp"

#include <weft/sleep.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task.hpp>
#include <weft/task_scope.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace service {

using weft::task;

struct CellData {
  char state;
  int neighbors;
};

// The service side of one connection; ends when the cell side shuts its end down.
inline task<void> serve_connection(weft::stream_socket connection, int* served) {
  std::array<std::byte, 2> request{};
  for (;;) {
    const std::size_t got = co_await connection.read_some(request);
    if (got == 0) co_return;  // end of stream: no more requests on this connection
    if (got < request.size()) co_await connection.read_exact(std::span(request).subspan(got));
    co_await weft::sleep_for(life::kIoLatency);  // the service takes its time to answer
    co_await connection.write_all(request);
    ++*served;  // loop thread only
  }
}

// Construct, use and stop() on the loop thread. stop() must be awaited before it is destroyed
// (its task_scope aborts, naming "cell-service", if handlers still run).
class CellService {
 public:
  CellService(int rows, int cols) : cols_(cols) {
    for (int i = 0; i < rows * cols; ++i) {
      auto [cell_end, service_end] = weft::stream_socket_pair();
      cell_ends_.push_back(std::move(cell_end));
      handlers_.spawn(serve_connection(std::move(service_end), &served_),
                      "cell-service-" + std::to_string(i));
    }
  }

  // The cell's end of its connection.
  weft::stream_socket& connection(int y, int x) { return cell_ends_[y * cols_ + x]; }
  [[nodiscard]] int served() const { return served_; }

  // Half-closes every connection (each handler then reads end of stream) and waits for them.
  task<void> stop() {
    for (weft::stream_socket& connection : cell_ends_)
      connection.shutdown(weft::shutdown_direction::send);
    co_await handlers_.join();
  }

 private:
  int cols_;
  int served_ = 0;
  std::vector<weft::stream_socket> cell_ends_;
  weft::task_scope handlers_{"cell-service"};
};

// The I/O half of the book's `async def game_logic`: send the cell's data, read the answer
// (`data = await my_socket.read(50)`).
inline task<CellData> round_trip(weft::stream_socket& connection, CellData cell) {
  std::array<std::byte, 2> data{static_cast<std::byte>(cell.state),
                                static_cast<std::byte>(cell.neighbors)};
  co_await connection.write_all(data);
  co_await connection.read_exact(data);
  co_return CellData{static_cast<char>(data[0]), static_cast<int>(data[1])};
}

// The whole `async def game_logic(state, neighbors)`: the I/O, then the rule.
inline task<char> game_logic(weft::stream_socket& connection, char state, int neighbors) {
  const CellData answer = co_await round_trip(connection, {state, neighbors});
  co_return life::next_state(answer.state, answer.neighbors);
}

}  // namespace service

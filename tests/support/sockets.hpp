// tests/support/sockets.hpp — socket situations several I/O tests need.
#pragma once

#include <weft/cancellation.hpp>
#include <weft/listener.hpp>
#include <weft/sleep.hpp>
#include <weft/stream_socket.hpp>
#include <weft/task.hpp>
#include <weft/when_all.hpp>

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <utility>

namespace weft::test {

/// A client whose peer has reset the connection (closed with SO_LINGER 0: RST, not FIN): its next
/// sends fail with ECONNRESET or EPIPE. `port` is the peer's, for checking error messages.
struct reset_connection {
  stream_socket client;
  std::uint16_t port = 0;
};
inline task<reset_connection> connect_to_resetting_peer() {
  listener server = listener::bind(socket_address::loopback());
  stream_socket client = co_await connect(server.local_address());
  {
    stream_socket accepted = co_await server.accept();
    ::linger abort_on_close{1, 0};
    if (::setsockopt(accepted.native_handle(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                     sizeof abort_on_close) != 0)
      throw std::runtime_error("setsockopt SO_LINGER failed");
  }
  co_await sleep_for(
      std::chrono::milliseconds(20));  // the destructor's close goes through the ring
  co_return reset_connection{std::move(client), server.local_address().port()};
}

/// Runs `body` and requests stop on it after `delay`; true when it ended with
/// operation_cancelled, false when it finished.
inline task<bool> cancelled_by_stop_after(task<void> body, std::chrono::milliseconds delay) {
  std::stop_source stop;
  auto run = [](task<void> t) -> task<bool> {
    try {
      co_await std::move(t);
    } catch (const operation_cancelled&) {
      co_return true;
    }
    co_return false;
  };
  auto stopper = [](std::stop_source* source, std::chrono::milliseconds after) -> task<void> {
    co_await sleep_for(after);
    source->request_stop();
  };
  auto [cancelled, ignored] = co_await when_all(
      with_stop_token(run(std::move(body)), stop.get_token()), stopper(&stop, delay));
  co_return cancelled;
}

}  // namespace weft::test

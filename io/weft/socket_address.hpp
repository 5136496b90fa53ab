// weft/socket_address.hpp — an IPv4, IPv6 or Unix-domain socket address, by value.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace weft {

/// A socket address of any family weft speaks, stored inline (no allocation). Parse errors throw
/// std::system_error with io_errc::bad_address naming the text.
class socket_address {
 public:
  /// An empty address (AF_UNSPEC), e.g. to receive into.
  socket_address() noexcept;

  /// "127.0.0.1:8080", "[::1]:8080" (numeric only: use weft::resolve for names).
  [[nodiscard]] static socket_address parse(std::string_view host_and_port);
  /// A numeric IPv4 address ("0.0.0.0" for any) and port.
  [[nodiscard]] static socket_address ipv4(std::string_view ip, std::uint16_t port);
  /// A numeric IPv6 address ("::" for any) and port.
  [[nodiscard]] static socket_address ipv6(std::string_view ip, std::uint16_t port);
  /// 127.0.0.1:port, the address tests and examples listen on (port 0: the kernel picks one).
  [[nodiscard]] static socket_address loopback(std::uint16_t port = 0);
  /// A Unix socket bound to a path in the file system (at most 107 bytes).
  [[nodiscard]] static socket_address unix_path(std::string_view path);
  /// A Unix socket in Linux's abstract namespace: no file, gone when the last socket closes.
  [[nodiscard]] static socket_address unix_abstract(std::string_view name);
  /// A copy of what the kernel returned (accept, getsockname, recvmsg).
  [[nodiscard]] static socket_address from(const sockaddr* address, socklen_t length);

  [[nodiscard]] int family() const noexcept { return storage_.ss_family; }
  /// The port of an IPv4/IPv6 address; 0 for other families.
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// "127.0.0.1:80", "[::1]:80", "unix:/run/x.sock", "unix:@name" (abstract), "unix:(unnamed)".
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] const sockaddr* data() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  [[nodiscard]] sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  [[nodiscard]] socklen_t size() const noexcept { return length_; }
  /// The room to receive an address into, and the length the kernel then writes.
  [[nodiscard]] static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }
  socklen_t* size_pointer() noexcept { return &length_; }

  friend bool operator==(const socket_address& a, const socket_address& b) noexcept;

 private:
  sockaddr_storage storage_;
  socklen_t length_;
};

}  // namespace weft

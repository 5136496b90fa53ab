#include <weft/io_error.hpp>
#include <weft/socket_address.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>

namespace weft {

namespace {

[[noreturn]] void bad_address(std::string_view text, std::string_view why) {
  throw_io_error(io_errc::bad_address, fmt::format("address '{}' ({})", text, why));
}

std::uint16_t parse_port(std::string_view whole, std::string_view digits) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() ||
      value > 65535)
    bad_address(whole, "the port must be a number from 0 to 65535");
  return static_cast<std::uint16_t>(value);
}

}  // namespace

socket_address::socket_address() noexcept : length_(0) {
  std::memset(&storage_, 0, sizeof storage_);
  storage_.ss_family = AF_UNSPEC;
}

socket_address socket_address::ipv4(std::string_view ip, std::uint16_t port) {
  socket_address result;
  auto* in = reinterpret_cast<sockaddr_in*>(&result.storage_);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  std::string text{ip};
  if (::inet_pton(AF_INET, text.c_str(), &in->sin_addr) != 1)
    bad_address(ip, "not a numeric IPv4 address");
  result.length_ = sizeof(sockaddr_in);
  return result;
}

socket_address socket_address::ipv6(std::string_view ip, std::uint16_t port) {
  socket_address result;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::string text{ip};
  if (::inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) != 1)
    bad_address(ip, "not a numeric IPv6 address");
  result.length_ = sizeof(sockaddr_in6);
  return result;
}

socket_address socket_address::loopback(std::uint16_t port) {
  return ipv4("127.0.0.1", port);
}

socket_address socket_address::parse(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      bad_address(text, "expected [ipv6]:port");
    return ipv6(text.substr(1, close - 1), parse_port(text, text.substr(close + 2)));
  }
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) bad_address(text, "expected host:port");
  return ipv4(text.substr(0, colon), parse_port(text, text.substr(colon + 1)));
}

socket_address socket_address::unix_path(std::string_view path) {
  socket_address result;
  auto* un = reinterpret_cast<sockaddr_un*>(&result.storage_);
  if (path.empty() || path.size() >= sizeof un->sun_path)
    bad_address(path, fmt::format("a Unix socket path has 1 to {} bytes", sizeof un->sun_path - 1));
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  result.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return result;
}

socket_address socket_address::unix_abstract(std::string_view name) {
  socket_address result;
  auto* un = reinterpret_cast<sockaddr_un*>(&result.storage_);
  if (name.size() + 1 > sizeof un->sun_path)
    bad_address(name,
                fmt::format("an abstract name has at most {} bytes", sizeof un->sun_path - 1));
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
  result.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return result;
}

socket_address socket_address::from(const sockaddr* address, socklen_t length) {
  socket_address result;
  if (length > sizeof result.storage_) length = sizeof result.storage_;
  std::memcpy(&result.storage_, address, length);
  result.length_ = length;
  return result;
}

std::uint16_t socket_address::port() const noexcept {
  switch (family()) {
    case AF_INET:
      return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6:
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default:
      return 0;
  }
}

std::string socket_address::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case AF_INET:
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
                  sizeof text);
      return fmt::format("{}:{}", text, port());
    case AF_INET6:
      ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
                  sizeof text);
      return fmt::format("[{}]:{}", text, port());
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
      std::size_t path_length =
          length_ > offsetof(sockaddr_un, sun_path) ? length_ - offsetof(sockaddr_un, sun_path) : 0;
      if (path_length == 0) return "unix:(unnamed)";
      if (un->sun_path[0] == '\0')
        return fmt::format("unix:@{}", std::string_view{un->sun_path + 1, path_length - 1});
      return fmt::format("unix:{}",
                         std::string_view{un->sun_path, ::strnlen(un->sun_path, path_length)});
    }
    case AF_UNSPEC:
      return "(no address)";
    default:
      return fmt::format("(address family {})", family());
  }
}

bool operator==(const socket_address& a, const socket_address& b) noexcept {
  return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
}

}  // namespace weft

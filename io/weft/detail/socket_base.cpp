#include <weft/detail/socket_base.hpp>
#include <weft/io_error.hpp>

#include <fmt/format.h>

#include <cerrno>

namespace weft::detail {

unique_fd open_socket(int family, int type, std::string_view what) {
  int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, std::string{what});
  return unique_fd{fd};
}

socket_address socket_base::local_address() const {
  socket_address address;
  *address.size_pointer() = socket_address::capacity();
  if (::getsockname(fd_.get(), address.data(), address.size_pointer()) != 0)
    throw_errno(errno, fmt::format("getsockname on fd {}", fd_.get()));
  return address;
}

socket_address socket_base::peer_address() const {
  socket_address address;
  *address.size_pointer() = socket_address::capacity();
  if (::getpeername(fd_.get(), address.data(), address.size_pointer()) != 0)
    throw_errno(errno, fmt::format("getpeername on fd {}", fd_.get()));
  return address;
}

void socket_base::set_option(int level, int name, int value) {
  if (::setsockopt(fd_.get(), level, name, &value, sizeof value) != 0)
    throw_errno(errno, describe(fmt::format("setsockopt({}, {}) on", level, name)));
}

int socket_base::get_option(int level, int name) const {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd_.get(), level, name, &value, &length) != 0)
    throw_errno(errno, describe(fmt::format("getsockopt({}, {}) on", level, name)));
  return value;
}

std::string socket_base::describe(std::string_view operation) const {
  return describe_socket(fd_.get(), operation);
}

std::string describe_socket(int fd, std::string_view operation) {
  // Errors are rare: asking the kernel for the addresses here keeps them out of every socket.
  socket_address address;
  *address.size_pointer() = socket_address::capacity();
  if (::getpeername(fd, address.data(), address.size_pointer()) == 0) {
    if (address.family() == AF_UNIX && address.size() <= sizeof(sa_family_t))  // socketpair
      return fmt::format("{} unnamed unix socket (fd {})", operation, fd);
    return fmt::format("{} {}", operation, address.to_string());
  }
  *address.size_pointer() = socket_address::capacity();
  if (::getsockname(fd, address.data(), address.size_pointer()) == 0 &&
      address.family() != AF_UNSPEC)
    return fmt::format("{} socket {} (fd {})", operation, address.to_string(), fd);
  return fmt::format("{} socket fd {}", operation, fd);
}

}  // namespace weft::detail

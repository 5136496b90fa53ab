#include <weft/io_error.hpp>
#include <weft/offload.hpp>
#include <weft/resolve.hpp>
#include <weft/thread_pool.hpp>

#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>

namespace weft {

namespace {

class getaddrinfo_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int value) const override { return ::gai_strerror(value); }
  std::error_condition default_error_condition(int value) const noexcept override {
    if (value == EAI_MEMORY) return std::errc::not_enough_memory;
    return {value, *this};
  }
};

/// "host:service" as error messages show it: "[::1]:80" for an IPv6 address.
std::string describe_lookup(const std::string& host, const std::string& service) {
  std::string target = "resolve ";
  if (host.find(':') != std::string::npos)
    target += "[" + host + "]";
  else
    target += host;
  if (!service.empty()) target += ":" + service;
  return target;
}

[[noreturn]] void throw_gai_error(int code, int saved_errno, const std::string& host,
                                  const std::string& service) {
  std::string what = describe_lookup(host, service);
  if (code == EAI_SYSTEM) throw_errno(saved_errno, what);
  throw std::system_error(code, getaddrinfo_category(), what);
}

struct addrinfo_deleter {
  void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};

/// Runs on a pool worker.
std::vector<socket_address> lookup(const std::string& host, const std::string& service,
                                   const resolve_options& options) {
  // A name with a NUL in it would be looked up cut short: refuse it as unknown instead.
  if (host.find('\0') != std::string::npos || service.find('\0') != std::string::npos)
    throw_gai_error(EAI_NONAME, 0, host, service);

  addrinfo hints{};
  hints.ai_family = static_cast<int>(options.family);
  hints.ai_socktype = options.socktype;
  if (options.passive) hints.ai_flags |= AI_PASSIVE;
  if (options.numeric_host) hints.ai_flags |= AI_NUMERICHOST;
  if (options.configured_families_only) hints.ai_flags |= AI_ADDRCONFIG;

  addrinfo* raw = nullptr;
  errno = 0;
  int code = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                           service.empty() ? nullptr : service.c_str(), &hints, &raw);
  int saved_errno = errno;
  std::unique_ptr<addrinfo, addrinfo_deleter> list{raw};
  if (code != 0) throw_gai_error(code, saved_errno, host, service);

  std::vector<socket_address> addresses;
  for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_addr == nullptr) continue;
    socket_address address = socket_address::from(entry->ai_addr, entry->ai_addrlen);
    // With socktype 0 (or protocols sharing one), each address comes once per kind of socket.
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end())
      addresses.push_back(address);
  }
  if (addresses.empty()) throw_gai_error(EAI_NONAME, 0, host, service);
  return addresses;
}

}  // namespace

const std::error_category& getaddrinfo_category() noexcept {
  static const getaddrinfo_category_impl category;
  return category;
}

task<std::vector<socket_address>> resolve(std::string host, std::string service,
                                          resolve_options options) {
  thread_pool& pool = options.pool != nullptr ? *options.pool : default_pool();
  co_return co_await offload(pool, &lookup, std::move(host), std::move(service), options);
}

}  // namespace weft

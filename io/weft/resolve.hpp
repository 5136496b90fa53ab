// weft/resolve.hpp — host and service names to socket addresses, without blocking the loop.
//
// getaddrinfo(3) blocks — reading /etc/hosts, asking DNS servers, waiting out their timeouts — and
// io_uring has no operation for it, so weft::resolve runs it on a thread pool (default_pool()
// unless the options name another) through offload(), and resumes the awaiting coroutine where it
// was. Nothing here is cached: each call asks the system resolver, which follows
// /etc/nsswitch.conf, /etc/hosts, /etc/services and /etc/resolv.conf.
//
// Errors: a failed lookup throws std::system_error whose what() names the lookup and then gives
// gai_strerror's text — "resolve no-such-host.invalid:80: Name or service not known" — and whose
// code() is the EAI_* value in getaddrinfo_category() (EAI_SYSTEM becomes the errno it stands for,
// in std::system_category()).
#pragma once

#include <weft/socket_address.hpp>
#include <weft/task.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <string>
#include <system_error>
#include <vector>

namespace weft {

class thread_pool;

enum class address_family {
  any = AF_UNSPEC,  ///< IPv4 and IPv6
  ipv4 = AF_INET,
  ipv6 = AF_INET6,
};

struct resolve_options {
  address_family family = address_family::any;
  /// SOCK_STREAM (TCP: connect, listener) or SOCK_DGRAM (UDP); it selects the service's port
  /// ("domain" is 53 for both, some services exist for one only).
  int socktype = SOCK_STREAM;
  /// AI_PASSIVE: addresses to bind to. With an empty host, the wildcard addresses (0.0.0.0, ::)
  /// instead of the loopback ones.
  bool passive = false;
  /// AI_NUMERICHOST: the host must be a numeric address; no name lookup (and no DNS traffic)
  /// happens, and a name fails with EAI_NONAME at once.
  bool numeric_host = false;
  /// AI_ADDRCONFIG: only families this machine has a non-loopback address of. Off by default: on
  /// a machine with no network it makes even "localhost" fail.
  bool configured_families_only = false;
  /// The pool getaddrinfo runs on; nullptr for default_pool().
  thread_pool* pool = nullptr;
};

/// `co_await weft::resolve("example.com", "https")`, `co_await weft::resolve("127.0.0.1", "8080")`
///   Yields: std::vector<socket_address>, never empty, in the order getaddrinfo gives (RFC 6724:
///     the ones to try first come first), each address once. `host` may be a name or a numeric
///     IPv4/IPv6 address ("::1", without brackets), or empty for the local machine (see
///     resolve_options::passive); `service` a port number or a name from /etc/services, or empty
///     for port 0.
///   Throws: std::system_error "resolve <host>:<service>: <gai_strerror text>" (see the top of
///     this file); pool_stopped if the pool takes no more work.
///   Resumes on: the executor the awaiting coroutine ran on (the loop thread for a loop coroutine);
///     getaddrinfo itself runs on a pool worker.
///   Cancellation: a stop request before a worker has taken the lookup withdraws it:
///     operation_cancelled at once. Once getaddrinfo runs it cannot be interrupted: the coroutine
///     stays suspended until it returns — for a name whose DNS servers do not answer, as long as
///     resolv.conf's timeout × attempts (glibc default: 5 s × 2 per server) — and then its result
///     is discarded and operation_cancelled thrown. So `weft::timeout(weft::resolve(...), 1s)`
///     throws timed_out only once the lookup has finished; bound slow lookups in resolv.conf
///     (`options timeout:1 attempts:1`).
[[nodiscard]] task<std::vector<socket_address>> resolve(std::string host, std::string service,
                                                        resolve_options options = {});

/// The category of getaddrinfo's EAI_* codes: message() is gai_strerror's text. EAI_MEMORY is
/// equivalent to std::errc::not_enough_memory.
[[nodiscard]] const std::error_category& getaddrinfo_category() noexcept;

}  // namespace weft

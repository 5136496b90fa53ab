// weft/io_error.hpp — how I/O failures are reported.
//
// Every failed operation throws std::system_error whose what() names the operation and its target
// and then the reason: "connect to 127.0.0.1:9: Connection refused", "open /no/such/file: No such
// file or directory". code() is the errno value in std::system_category(), or one of weft's own
// conditions below for failures that have no errno. Cancellation is not a failure: a cancelled
// operation throws weft::operation_cancelled, a timed-out one weft::timed_out (a system_error with
// std::errc::timed_out). See the error model in the README.
#pragma once

#include <string>
#include <system_error>
#include <type_traits>

namespace weft {

/// Failures of weft's I/O that are not an errno.
enum class io_errc {
  /// The stream ended before the bytes asked for arrived (read_exact, recv_exact, read_until).
  unexpected_eof = 1,
  /// A buffered read_until/read_line did not find its delimiter within the buffer's bound.
  line_too_long,
  /// An address string could not be parsed.
  bad_address,
};

[[nodiscard]] const std::error_category& io_category() noexcept;
[[nodiscard]] std::error_code make_error_code(io_errc e) noexcept;

/// Throws std::system_error(errno_value, system_category) saying "<what>: <strerror>".
[[noreturn]] void throw_errno(int errno_value, const std::string& what);
/// Throws std::system_error(e, io_category) saying "<what>: <description of e>".
[[noreturn]] void throw_io_error(io_errc e, const std::string& what);

}  // namespace weft

template <>
struct std::is_error_code_enum<weft::io_errc> : std::true_type {};

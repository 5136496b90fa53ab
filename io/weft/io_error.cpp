#include <weft/io_error.hpp>

namespace weft {

namespace {

class io_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "weft.io"; }
  std::string message(int value) const override {
    switch (static_cast<io_errc>(value)) {
      case io_errc::unexpected_eof:
        return "unexpected end of stream";
      case io_errc::line_too_long:
        return "delimiter not found within the buffer limit";
      case io_errc::bad_address:
        return "not a valid address";
    }
    return "unknown weft.io error";
  }
};

}  // namespace

const std::error_category& io_category() noexcept {
  static const io_category_impl category;
  return category;
}

std::error_code make_error_code(io_errc e) noexcept {
  return {static_cast<int>(e), io_category()};
}

void throw_errno(int errno_value, const std::string& what) {
  throw std::system_error(errno_value, std::system_category(), what);
}

void throw_io_error(io_errc e, const std::string& what) {
  throw std::system_error(make_error_code(e), what);
}

}  // namespace weft

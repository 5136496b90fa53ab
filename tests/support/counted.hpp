// tests/support/counted.hpp — counts lifetimes so tests can prove every object dies exactly once.
//
// `counted` objects register construction (including copies and moves) and destruction in a
// `lifetime_counter`; `counter.alive()` must return to zero and `counter.check()` asserts that no
// object was destroyed twice or used after destruction.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>

namespace weft::test {

class lifetime_counter {
 public:
  [[nodiscard]] long alive() const noexcept { return constructed_ - destroyed_; }
  [[nodiscard]] long constructed() const noexcept { return constructed_; }
  [[nodiscard]] long destroyed() const noexcept { return destroyed_; }

 private:
  friend class counted;
  std::atomic<long> constructed_{0};
  std::atomic<long> destroyed_{0};
};

class counted {
 public:
  explicit counted(lifetime_counter& counter, int value = 0) : counter_(&counter), value_(value) {
    ++counter_->constructed_;
  }
  counted(const counted& other) : counter_(other.checked()), value_(other.value_) {
    ++counter_->constructed_;
  }
  counted(counted&& other) noexcept : counter_(other.checked()), value_(other.value_) {
    ++counter_->constructed_;
  }
  counted& operator=(const counted& other) {
    other.checked();
    checked();
    value_ = other.value_;
    return *this;
  }
  counted& operator=(counted&& other) noexcept {
    other.checked();
    checked();
    value_ = other.value_;
    return *this;
  }
  ~counted() {
    checked();
    ++counter_->destroyed_;
    state_ = dead;
  }

  [[nodiscard]] int value() const {
    checked();
    return value_;
  }

 private:
  static constexpr std::uint32_t live = 0x11FE11FE;
  static constexpr std::uint32_t dead = 0xDEADDEAD;

  lifetime_counter* checked() const {
    if (state_ != live) throw std::logic_error("counted object used after its destruction");
    return counter_;
  }

  lifetime_counter* counter_;
  int value_;
  std::uint32_t state_ = live;
};

}  // namespace weft::test

#include <weft/spawn_detached.hpp>

#include <weft/cancellation.hpp>
#include <weft/detail/driver.hpp>
#include <weft/detail/fatal.hpp>

namespace weft {
namespace {

detail::driver run_detached(task<void> t) {
  try {
    co_await std::move(t);
  } catch (const operation_cancelled&) {
    // The task was stopped through the token bound to it: that is an ending, not a failure.
  } catch (const std::exception& error) {
    detail::fatal("detached task failed: {}", error.what());
  } catch (...) {
    detail::fatal("detached task failed with a non-std exception");
  }
}

}  // namespace

void spawn_detached(task<void> t, executor* on, std::string name) {
  WEFT_CHECK(t.valid(), "spawn_detached of an empty task");
  // The driver must not override a token bound to the task: it passes an empty one, which the task
  // ignores when bound and inherits (no cancellation) otherwise.
  run_detached(std::move(t)).named(std::move(name)).start(nullptr, std::stop_token{}, on);
}

}  // namespace weft

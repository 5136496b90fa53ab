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
  // A token bound to the task wins over the executor's: the task only inherits the driver's token
  // when it has none of its own.
  std::stop_token token = on != nullptr ? on->detached_stop_token() : std::stop_token{};
  detail::completion_sink* sink = on != nullptr ? on->adopt_detached() : nullptr;
  run_detached(std::move(t)).named(std::move(name)).start(sink, std::move(token), on);
}

}  // namespace weft

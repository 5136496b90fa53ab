// Name resolution without the network: numeric addresses, "localhost" from /etc/hosts, services
// from /etc/services, and failures made deterministic with numeric_host — a plain lookup of a
// `.invalid` name would ask the DNS servers of /etc/resolv.conf, which a test must not rely on.
#include <weft/io_loop.hpp>
#include <weft/resolve.hpp>
#include <weft/socket_address.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/thread_pool.hpp>
#include <weft/when_all.hpp>

#include <catch2/catch.hpp>

#include <netdb.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using weft::task;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> texts(const std::vector<weft::socket_address>& addresses) {
  std::vector<std::string> out;
  for (const auto& address : addresses)
    out.push_back(address.to_string());
  return out;
}

/// Whether `file` has a line whose whitespace-separated words include `word` after the first.
bool file_names(const char* file, const std::string& word) {
  std::ifstream in{file};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words{line.substr(0, line.find('#'))};
    std::string first, other;
    if (!(words >> first)) continue;
    while (words >> other)
      if (other == word) return true;
  }
  return false;
}

/// Whether /etc/services names `service` (its first word) for TCP.
bool services_has(const std::string& service) {
  std::ifstream in{"/etc/services"};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words{line};
    std::string name, port;
    if (words >> name >> port && name == service && port.ends_with("/tcp")) return true;
  }
  return false;
}

struct failure {
  std::error_code code;
  std::string what;
};

task<failure> resolve_failure(std::string host, std::string service,
                              weft::resolve_options options) {
  try {
    (void)co_await weft::resolve(std::move(host), std::move(service), options);
  } catch (const std::system_error& e) {
    co_return failure{e.code(), e.what()};
  }
  co_return failure{};
}

weft::resolve_options numeric_host() {
  weft::resolve_options options;
  options.numeric_host = true;
  return options;
}

}  // namespace

TEST_CASE("resolve of a numeric IPv4 address and port yields exactly that address",
          "[io][resolve]") {
  CHECK(texts(weft::run(weft::resolve("127.0.0.1", "80"))) ==
        std::vector<std::string>{"127.0.0.1:80"});
}

TEST_CASE("resolve of a numeric IPv6 address yields it, without brackets in the input",
          "[io][resolve]") {
  CHECK(texts(weft::run(weft::resolve("::1", "8080"))) == std::vector<std::string>{"[::1]:8080"});
}

TEST_CASE("resolve of localhost yields loopback addresses only", "[io][resolve]") {
  if (!file_names("/etc/hosts", "localhost")) {
    WARN("SKIPPED: /etc/hosts does not name localhost; looking it up would ask DNS");
    return;
  }
  std::vector<std::string> found = texts(weft::run(weft::resolve("localhost", "80")));
  REQUIRE(!found.empty());
  for (const std::string& address : found) {
    INFO(address);
    CHECK((address.starts_with("127.") || address == "[::1]:80"));
    CHECK(address.ends_with(":80"));
  }
}

TEST_CASE("resolve with family ipv4 yields no IPv6 address", "[io][resolve]") {
  weft::resolve_options options;
  options.family = weft::address_family::ipv4;
  options.passive = true;
  auto addresses = weft::run(weft::resolve("", "8080", options));
  CHECK(texts(addresses) == std::vector<std::string>{"0.0.0.0:8080"});
}

TEST_CASE("resolve with passive and no host yields the wildcard addresses", "[io][resolve]") {
  weft::resolve_options options;
  options.passive = true;
  std::vector<std::string> found = texts(weft::run(weft::resolve("", "9000", options)));
  REQUIRE(!found.empty());
  for (const std::string& address : found) {
    INFO(address);
    CHECK((address == "0.0.0.0:9000" || address == "[::]:9000"));
  }
}

TEST_CASE("resolve looks up a named service in /etc/services", "[io][resolve]") {
  if (!services_has("http")) {
    WARN("SKIPPED: /etc/services is missing or has no http/tcp entry (install netbase)");
    return;
  }
  CHECK(texts(weft::run(weft::resolve("127.0.0.1", "http"))) ==
        std::vector<std::string>{"127.0.0.1:80"});
}

TEST_CASE("a name that cannot be resolved throws an error naming it, with gai_strerror's text",
          "[io][resolve]") {
  // numeric_host makes this EAI_NONAME at once, with no DNS query (see the top of this file).
  failure f = weft::run(resolve_failure("no-such-host.invalid", "80", numeric_host()));
  CHECK(f.code == std::error_code(EAI_NONAME, weft::getaddrinfo_category()));
  CHECK(f.code.category().name() == std::string("getaddrinfo"));
  CHECK(f.what == std::string("resolve no-such-host.invalid:80: ") + ::gai_strerror(EAI_NONAME));
}

TEST_CASE("an unknown service throws an error naming the lookup", "[io][resolve]") {
  failure f = weft::run(resolve_failure("127.0.0.1", "no-such-service-weft", {}));
  CHECK(f.code == std::error_code(EAI_SERVICE, weft::getaddrinfo_category()));
  CHECK(f.what ==
        std::string("resolve 127.0.0.1:no-such-service-weft: ") + ::gai_strerror(EAI_SERVICE));
}

TEST_CASE("an IPv6 address in a resolve error is shown in brackets", "[io][resolve]") {
  weft::resolve_options options = numeric_host();  // a mismatch, found without asking DNS
  options.family = weft::address_family::ipv4;
  failure f = weft::run(resolve_failure("::1", "80", options));
  CHECK(f.code.category() == weft::getaddrinfo_category());
  CHECK_THAT(f.what, Catch::StartsWith("resolve [::1]:80: "));
}

TEST_CASE("resolve runs getaddrinfo on the pool and resumes on the loop thread", "[io][resolve]") {
  weft::thread_pool::options pool_options;
  pool_options.workers = 1;
  weft::thread_pool pool{pool_options};
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  // Occupy the pool's only worker: the lookup can only run once it is released.
  auto occupied = pool.submit([&] {
    started = true;
    while (!release.load())
      std::this_thread::sleep_for(1ms);
  });
  while (!started.load())
    std::this_thread::sleep_for(1ms);

  struct outcome {
    std::vector<std::string> addresses;
    bool released_first = false;
    bool resumed_on_loop = false;
  };
  auto main = [](weft::thread_pool* p, std::atomic<bool>* release_worker) -> task<outcome> {
    auto loop_thread = std::this_thread::get_id();
    outcome result;
    auto lookup = [](weft::thread_pool* on, std::atomic<bool>* released,
                     outcome* out) -> task<void> {
      weft::resolve_options options;
      options.pool = on;
      auto addresses = co_await weft::resolve("127.0.0.1", "443", options);
      out->released_first = released->load();  // the loop went on while the lookup waited
      out->addresses = texts(addresses);
    };
    auto releaser = [](std::atomic<bool>* release) -> task<void> {
      release->store(true);
      co_return;
    };
    co_await weft::when_all(lookup(p, release_worker, &result), releaser(release_worker));
    result.resumed_on_loop = std::this_thread::get_id() == loop_thread;
    co_return result;
  };
  outcome result = weft::run(main(&pool, &release));
  occupied.get();
  CHECK(result.addresses == std::vector<std::string>{"127.0.0.1:443"});
  CHECK(result.released_first);
  CHECK(result.resumed_on_loop);
}

TEST_CASE("a resolve cancelled before the pool took it ends at once with operation_cancelled",
          "[io][resolve]") {
  weft::thread_pool::options pool_options;
  pool_options.workers = 1;
  weft::thread_pool pool{pool_options};
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  auto occupied = pool.submit([&] {
    started = true;
    while (!release.load())
      std::this_thread::sleep_for(1ms);
  });
  while (!started.load())
    std::this_thread::sleep_for(1ms);

  std::stop_source stop;
  std::thread stopper{[&] {
    std::this_thread::sleep_for(10ms);
    stop.request_stop();
  }};
  weft::resolve_options options;
  options.pool = &pool;
  bool cancelled = false;
  try {
    (void)weft::sync_wait(
        weft::with_stop_token(weft::resolve("127.0.0.1", "80", options), stop.get_token()));
  } catch (const weft::operation_cancelled&) {
    cancelled = true;
  }
  bool worker_still_busy = !release.load();  // so the caller did not wait for the pool
  release = true;
  stopper.join();
  occupied.get();
  CHECK(cancelled);
  CHECK(worker_still_busy);
}

#include <weft/io_loop.hpp>
#include <weft/log.hpp>
#include <weft/sleep.hpp>
#include <weft/spawn_detached.hpp>
#include <weft/sync_wait.hpp>
#include <weft/task_scope.hpp>
#include <weft/uring_op.hpp>
#include <weft/yield.hpp>

#include <catch2/catch.hpp>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "../support/counted.hpp"
#include "../support/death_test.hpp"
#include "../support/log_capture.hpp"
#include "../support/pipe.hpp"

using namespace std::chrono_literals;
using weft::task;

namespace {

task<int> read_some(int fd, char* buffer, unsigned size) {
  co_return co_await weft::uring_op(
      [=](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, buffer, size, 0); });
}

}  // namespace

TEST_CASE("run returns the main task's value, and rethrows its exception", "[io_loop]") {
  weft::io_loop loop;
  CHECK(loop.run([]() -> task<int> { co_return 5; }()) == 5);
  CHECK_THROWS_WITH(loop.run([]() -> task<void> {
    co_await weft::yield();
    throw std::runtime_error("from main");
  }()),
                    "from main");
  CHECK_FALSE(loop.setup_mode().empty());
  CHECK(loop.supports(IORING_OP_NOP));
}

TEST_CASE("a loop coroutine runs on the thread that called run", "[io_loop]") {
  weft::io_loop loop;
  auto main = [](weft::io_loop* l) -> task<bool> {
    co_await weft::yield();
    co_return weft::io_loop::current() == l&& weft::current_executor() == l;
  };
  CHECK(loop.run(main(&loop)));
}

TEST_CASE("a read on a pipe completes when another thread writes to it", "[io_loop]") {
  weft::io_loop loop;
  weft::test::test_pipe pipe;
  std::thread writer{[&] {
    std::this_thread::sleep_for(20ms);  // let the loop go to sleep in the kernel first
    (void)::write(pipe.write_end, "hello", 5);
  }};
  auto main = [](int fd) -> task<std::string> {
    char buffer[16];
    int n = co_await read_some(fd, buffer, sizeof buffer);
    co_return std::string(buffer, static_cast<std::size_t>(n));
  };
  CHECK(loop.run(main(pipe.read_end)) == "hello");
  writer.join();
}

TEST_CASE("an overfull ring loses nothing: far more operations than entries complete once each",
          "[io_loop]") {
  weft::io_loop::options options;
  options.entries = 64;
  weft::io_loop loop{options};
  constexpr int coroutines = 1000;
  constexpr int nops_each = 100;
  std::vector<int> completed(coroutines, 0);
  auto worker = [](int* count) -> task<void> {
    for (int i = 0; i < nops_each; ++i) {
      int result = co_await weft::uring_op([](io_uring_sqe* sqe) { io_uring_prep_nop(sqe); });
      if (result == 0) ++*count;
    }
  };
  auto main = [&]() -> task<void> {
    weft::task_scope scope{"nops"};
    for (int i = 0; i < coroutines; ++i)
      scope.spawn(worker(&completed[i]));
    co_await scope.join();
  };
  loop.run(main());
  for (int count : completed)
    REQUIRE(count == nops_each);
  CHECK(loop.operations_in_flight() == 0);
}

TEST_CASE("posts from several threads are all run exactly once while the loop sleeps and wakes",
          "[io_loop][stress]") {
  weft::io_loop loop;
  constexpr int threads = 4;
  constexpr int posts_each = 20'000;
  std::atomic<int> posted{0};
  int ran = 0;  // loop thread only
  auto main = [&]() -> task<void> {
    std::vector<std::thread> producers;
    for (int t = 0; t < threads; ++t)
      producers.emplace_back([&, t] {
        for (int i = 0; i < posts_each; ++i) {
          loop.post([&ran] { ++ran; });
          posted.fetch_add(1);
          if ((i + t) % 1000 == 0) std::this_thread::sleep_for(1ms);  // let the loop fall asleep
        }
      });
    while (ran < threads * posts_each)
      co_await weft::sleep_for(1ms);
    for (auto& p : producers)
      p.join();
  };
  loop.run(main());
  CHECK(ran == threads * posts_each);
  CHECK(posted == threads * posts_each);
}

TEST_CASE("co_await schedule() moves a coroutine from another thread onto the loop", "[io_loop]") {
  weft::io_loop loop;
  std::atomic<int> arrived{0};
  auto visitor = [](weft::io_loop* l, std::atomic<int>* count) -> task<bool> {
    co_await l->schedule();
    bool on_loop = weft::io_loop::current() == l;
    count->fetch_add(1);
    co_return on_loop;
  };
  auto main = [&]() -> task<void> {
    std::vector<std::thread> threads;
    std::atomic<int> on_loop{0};
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&] {
        for (int j = 0; j < 100; ++j)
          if (weft::sync_wait(visitor(&loop, &arrived))) on_loop.fetch_add(1);
      });
    while (arrived < 400)
      co_await weft::sleep_for(1ms);
    for (auto& t : threads)
      t.join();
    CHECK(on_loop == 400);
  };
  loop.run(main());
}

TEST_CASE("stop() from another thread cancels the main task's operations", "[io_loop]") {
  weft::io_loop loop;
  weft::test::test_pipe pipe;
  std::thread stopper{[&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  }};
  auto main = [](int fd) -> task<void> {
    char buffer[8];
    (void)co_await read_some(fd, buffer, sizeof buffer);  // nobody writes
  };
  CHECK_THROWS_AS(loop.run(main(pipe.read_end)), weft::operation_cancelled);
  stopper.join();
  CHECK(loop.operations_in_flight() == 0);
}

TEST_CASE("stop() from inside a loop coroutine ends the run", "[io_loop]") {
  weft::io_loop loop;
  auto main = [](weft::io_loop* l) -> task<void> {
    l->stop();
    co_await weft::sleep_for(1h);
  };
  CHECK_THROWS_AS(loop.run(main(&loop)), weft::operation_cancelled);
}

TEST_CASE("shutdown cancels a detached task's in-flight read and waits for its CQE", "[io_loop]") {
  weft::test::lifetime_counter counter;
  weft::test::test_pipe pipe;
  bool saw_cancel = false;
  {
    weft::io_loop loop;
    auto reader = [](int fd, weft::test::counted alive, bool* cancelled) -> task<void> {
      char buffer[8];
      try {
        (void)co_await read_some(fd, buffer, sizeof buffer);
      } catch (const weft::operation_cancelled&) {
        *cancelled = true;
      }
      (void)alive.value();
    };
    auto main = [&]() -> task<void> {
      weft::spawn_detached(reader(pipe.read_end, weft::test::counted{counter}, &saw_cancel),
                           weft::current_executor(), "reader");
      co_await weft::yield();
      co_await weft::yield();
    };
    loop.run(main());
    CHECK(loop.operations_in_flight() == 0);
  }
  CHECK(saw_cancel);
  CHECK(counter.alive() == 0);
}

TEST_CASE("a slow step logs a warning naming the task", "[io_loop]") {
  weft::test::log_capture captured;
  weft::io_loop::options options;
  options.slow_step = 20ms;
  weft::io_loop loop{options};
  auto main = []() -> task<void> {
    weft::task_scope scope{"slow"};
    scope.spawn(
        []() -> task<void> {
          std::this_thread::sleep_for(60ms);  // blocks the loop: exactly what the check is for
          co_return;
        }(),
        "blocking-child");
    co_await scope.join();
  };
  loop.run(main());
  CHECK_THAT(captured.text(), Catch::Contains("slow step: task 'blocking-child' ran"));
}

TEST_CASE("log lines name the thread and the task", "[io_loop][log]") {
  weft::test::log_capture captured;
  weft::io_loop::options options;
  options.name = "test-loop";
  weft::io_loop loop{options};
  auto main = []() -> task<void> {
    weft::task_scope scope{"logging"};
    scope.spawn(
        []() -> task<void> {
          weft::log("hello from a child");
          co_return;
        }(),
        "greeter");
    co_await scope.join();
  };
  loop.run(main());
  CHECK_THAT(captured.text(), Catch::Contains("[weft test-loop/greeter] I hello from a child"));
}

TEST_CASE("without io_uring the loop refuses to start and says why", "[io_loop][death]") {
  auto death = weft::test::run_in_child([] {
    // Refuse io_uring_setup with EPERM, as Docker's default seccomp profile does.
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
      std::_Exit(3);
    try {
      weft::io_loop loop;
      std::_Exit(4);
    } catch (const std::system_error& error) {
      std::fprintf(stderr, "%s\n", error.what());
      std::_Exit(error.code().value() == EPERM ? 0 : 5);
    }
  });
  CHECK(death.exit_code == 0);
  CHECK_THAT(death.stderr_text, Catch::Contains("io_uring is not permitted here"));
  CHECK_THAT(death.stderr_text, Catch::Contains("seccomp"));
}

TEST_CASE("run on a thread that is already running an executor aborts", "[io_loop][death]") {
  auto death = weft::test::run_in_child([] {
    weft::io_loop outer;
    outer.run([]() -> task<void> {
      weft::io_loop inner;
      inner.run([]() -> task<void> { co_return; }());
      co_return;
    }());
  });
  CHECK(death.signal == SIGABRT);
  CHECK_THAT(death.stderr_text, Catch::Contains("io_loop::run called on a thread running 'loop'"));
}

TEST_CASE("a shuffled loop still runs every ready coroutine", "[io_loop]") {
  weft::io_loop::options options;
  options.shuffle_seed = 42;
  weft::io_loop loop{options};
  int total = 0;
  auto main = [&]() -> task<void> {
    weft::task_scope scope{"shuffled"};
    for (int i = 0; i < 100; ++i)
      scope.spawn([](int* sum) -> task<void> {
        co_await weft::yield();
        ++*sum;
      }(&total));
    co_await scope.join();
  };
  loop.run(main());
  CHECK(total == 100);
}

TEST_CASE("a loop created on one thread can be run on another, and stays bound to it",
          "[io_loop]") {
  weft::io_loop loop;  // created here
  int value = 0;
  std::thread runner{[&] { value = loop.run([]() -> task<int> { co_return 3; }()); }};
  runner.join();
  CHECK(value == 3);
  if (loop.setup_mode() == "SINGLE_ISSUER|DEFER_TASKRUN") {
    // The kernel bound the ring to the runner thread: running it here is refused, clearly.
    CHECK_THROWS_WITH(loop.run([]() -> task<int> { co_return 4; }()),
                      Catch::Contains("was first run on another thread"));
  }
}

TEST_CASE("after join, log lines name the joining task again, not the last child",
          "[io_loop][log]") {
  weft::test::log_capture captured;
  weft::io_loop loop;
  auto main = []() -> task<void> {
    weft::task_scope outer{"outer"};
    outer.spawn(
        []() -> task<void> {
          weft::task_scope inner{"inner"};
          inner.spawn([]() -> task<void> { co_return; }(), "child");
          co_await inner.join();
          weft::log("parent speaking");
        }(),
        "parent");
    co_await outer.join();
  };
  loop.run(main());
  CHECK_THAT(captured.text(), Catch::Contains("[weft loop/parent] I parent speaking"));
}

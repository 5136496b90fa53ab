#include <weft/sync_wait.hpp>
#include <weft/task.hpp>
#include <weft/when_all.hpp>

#include <cstdio>

weft::task<int> half() {
  co_return 21;
}

weft::task<int> answer() {
  auto [a, b] = co_await weft::when_all(half(), half());
  co_return a + b;
}

int main() {
  std::printf("consumer: %d\n", weft::sync_wait(answer()));
}

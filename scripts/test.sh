#!/usr/bin/env bash
# Builds weft and runs the whole test suite three times: plain (RelWithDebInfo), AddressSanitizer +
# UndefinedBehaviorSanitizer (leaks detected), and ThreadSanitizer. Any failure or sanitizer report
# fails the run. Usage: scripts/test.sh [plain|asan|tsan ...]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(plain asan tsan)
jobs=$(nproc)

# Sanitizer reports must fail the test that produced them, not scroll by.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

for config in "${configs[@]}"; do
  case "$config" in
    # Plain builds with GCC; the sanitizer builds with Clang, whose coroutines keep symmetric
    # transfer a tail call under ASan and TSan (GCC's do not, and deep await chains then overflow
    # the stack). Clang 14's -fsanitize=function miscompiles coroutines ("Cannot represent a
    # difference across sections"), so that one UBSan check is left out.
    plain) cxx=g++ ; flags="" ; extra=(-DWEFT_BUILD_BENCH=ON) ;;
    asan) cxx=clang++ ; flags="-fsanitize=address,undefined -fno-sanitize=function -fno-omit-frame-pointer -fno-sanitize-recover=all" ; extra=() ;;
    tsan) cxx=clang++ ; flags="-fsanitize=thread" ; extra=() ;;
    *) echo "unknown configuration: $config" >&2; exit 2 ;;
  esac
  echo "=== weft: $config build ==="
  cmake -S . -B "build/$config" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" -DWEFT_BUILD_TESTS=ON -DWEFT_BUILD_EXAMPLES=ON "${extra[@]}" >/dev/null
  cmake --build "build/$config" -j "$jobs"
  echo "=== weft: $config tests ==="
  # setarch -R: ThreadSanitizer's shadow mapping can clash with the kernel's high ASLR entropy.
  runner=()
  [ "$config" = tsan ] && runner=(setarch "$(uname -m)" -R)
  "${runner[@]}" ctest --test-dir "build/$config" -j "$jobs" --output-on-failure --timeout 120
done

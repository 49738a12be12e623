#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, then builds and runs the whole
# suite twice: a GCC build with -Werror, and a Clang ASan+UBSan build of the same tests; then a
# Clang ThreadSanitizer build of the daemon's threaded tests (ctest label threads).
# Usage: scripts/test.sh [--quick]   (--quick: the GCC build only)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
# Tests: twice as many at once as there are CPUs. Most of them wait (mounts, daemons, sleeps
# between checks) rather than compute, and the whole command must stay under 10 minutes.
tjobs=$((2 * jobs))
quick=0
[ "${1:-}" = "--quick" ] && quick=1

echo "== build: gcc, CI (optimised, asserts on), -Werror"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=CI -DFAMFS_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"
echo "== test: gcc"
ctest --test-dir build/ci --output-on-failure -j "$tjobs"

if [ "$quick" -eq 0 ]; then
  echo "== build: clang, address+undefined sanitizers"
  CXX=clang++ cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DFAMFS_WERROR=ON \
    -DFAMFS_SANITIZE=address,undefined >/dev/null
  cmake --build build/asan -j "$jobs"
  echo "== test: clang + ASan/UBSan"
  # The load tests do less here (every famfs command costs several times more CPU under the
  # sanitizers); the GCC leg runs them at the sizes issue 10 asks for: crash-kill 50 runs,
  # concurrent-creat 4 x 1,000 files, soak-readers 60 s.
  FAMFS_CRASH_RUNS=20 FAMFS_CONCURRENT_FILES=250 FAMFS_SOAK_SECONDS=20 \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$tjobs"

  # Only what the threaded tests need: the server's unit tests with several workers, and real
  # mounts whose daemon (famfs mount --foreground) serves parallel readers and follows the log. Any report,
  # from a test or from a daemon it started, is left in tsan/ and fails the leg.
  echo "== build: clang, thread sanitizer (famfs, famfs_unit, famfs_test_tool)"
  CXX=clang++ cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=CI -DFAMFS_WERROR=ON \
    -DFAMFS_SANITIZE=thread >/dev/null
  cmake --build build/tsan -j "$jobs" --target famfs famfs_unit famfs_test_tool
  echo "== test: clang + TSan (ctest -L threads)"
  reports="$PWD/build/tsan/tsan"
  rm -rf "$reports"
  mkdir -p "$reports"
  rc=0
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/report" \
    ctest --test-dir build/tsan --output-on-failure -j "$tjobs" -L threads || rc=$?
  if compgen -G "$reports/report*" >/dev/null; then
    cat "$reports"/report* >&2
    echo "== ThreadSanitizer reported the problems above" >&2
    exit 1
  fi
  [ "$rc" -eq 0 ] || exit "$rc"
fi
echo "== all tests passed"

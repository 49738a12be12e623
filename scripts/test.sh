#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, then builds and runs the whole
# suite twice: a GCC build with -Werror, and a Clang ASan+UBSan build of the same tests.
# Usage: scripts/test.sh [--quick]   (--quick: the GCC build only)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

echo "== build: gcc, CI (optimised, asserts on), -Werror"
cmake -S . -B build/ci -DCMAKE_BUILD_TYPE=CI -DFAMFS_WERROR=ON >/dev/null
cmake --build build/ci -j "$jobs"
echo "== test: gcc"
ctest --test-dir build/ci --output-on-failure -j "$jobs"

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
    ctest --test-dir build/asan --output-on-failure -j "$jobs"
fi
echo "== all tests passed"

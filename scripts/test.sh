#!/usr/bin/env bash
# The test command (README, .ci/run). Installs what is missing, then builds every configuration a
# user or one of our scripts builds, each with -Werror, and runs the suite in each:
#   1. GCC Release (build/release: the build demo.sh and bench.sh use): demo.sh end to end, then
#      `cmake --install` of what demo.sh built into a temporary prefix and the installed famfs,
#      man page and bash completion; then every target (tests, benchmarks) and the whole suite,
#      with the multi-host scenarios in two QEMU guests (label vm, scripts/vm.sh).
#   2. Clang Release with ASan+UBSan (build/clang-asan): every target and the whole suite. Clang's
#      warnings come from its front end, so this build also proves the Clang Release build clean.
#   3. Clang ThreadSanitizer (build/tsan): the daemon's threaded tests (ctest label threads).
# The sanitizer builds run in the background from the start, while leg 1 builds and runs demo.sh
# and its tests (most of those wait on mounts, daemons and guests rather than compute), at the
# idle scheduling class, so they take only CPU time leg 1 leaves unused; leg 3's few tests run
# beside leg 2's as soon as their build is done (every leg line prints the seconds since the
# start).
# Usage: scripts/test.sh [--quick]   (--quick: leg 1 only)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
# Tests: twice as many at once as there are CPUs. Most of them wait (mounts, daemons, sleeps
# between checks) rather than compute, and the whole command must stay under 10 minutes.
tjobs=$((2 * jobs))
quick=0
[ "${1:-}" = "--quick" ] && quick=1
# ccache (Debian's, installed by setup.sh) makes a repeated run rebuild only what changed; its
# base directory is this checkout, so clones in other folders share the cache.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD"
  # Precompiled headers (the common one, the unit tests' Catch2) are cached only with this
  # sloppiness (ccache's manual).
  export CCACHE_SLOPPINESS=pch_defines,time_macros
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
bench_targets=(famfs_bench_fsck famfs_bench_memcpy famfs_bench_mmap famfs_bench_libmap)
demo_mnt=/tmp/famfs-demo
# Unmounts the demo's mount, and any mount a stopped test left under build/. Runs under `set -e`
# (also as the EXIT trap), so no command in it may fail: a failing last command of an && list
# would end the script with status 1.
cleanup() {
  local m
  if grep -qF " $demo_mnt " /proc/self/mountinfo; then
    build/release/cli/famfs umount "$demo_mnt" >/dev/null 2>&1 || umount -l "$demo_mnt" || true
  fi
  # A test stopped midway (a failed leg ends the script while leg 3's tests run) may leave its
  # mount under build/: none stays after the script.
  for m in $(awk -v b="$PWD/build/" 'index($5, b) == 1 {print $5}' /proc/self/mountinfo); do
    umount -l "$m" 2>/dev/null || true
  done
}
# The background builds (legs 2 and 3) and leg 3's tests end with the script.
stop_builds() {
  local pid
  for pid in ${bg_pid:-} ${tsan_pid:-}; do
    if kill -0 "$pid" 2>/dev/null; then
      kill $(descendants "$pid") "$pid" 2>/dev/null || true
    fi
  done
}
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}
trap 'stop_builds; cleanup' EXIT

start=$SECONDS
leg() { echo "== [$((SECONDS - start)) s] $*"; }

# Runs a build and fails if the compiler printed a warning (-Werror turns most into errors; this
# also catches the ones a compiler prints without failing, e.g. from the linker).
build() {
  local dir=$1 log
  shift
  log=$(mktemp)
  if ! cmake --build "$dir" -j "$jobs" "$@" 2>&1 | tee "$log"; then
    rm -f "$log"
    return 1
  fi
  if grep -q 'warning:' "$log"; then
    grep 'warning:' "$log" >&2
    echo "== the build of $dir printed warnings" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# Legs 2 and 3 are configured first and built in the background, one after the other, while leg 1
# builds, runs demo.sh and runs its tests; build/sanitizer-builds.log has their output,
# build/asan-built and build/tsan-built mark the end of each.
if [ "$quick" -eq 0 ]; then
  CXX=clang++ cmake -S . -B build/clang-asan -DCMAKE_BUILD_TYPE=Release -DFAMFS_WERROR=ON \
    -DFAMFS_SANITIZE=address,undefined "${launcher[@]}" >/dev/null
  # ThreadSanitizer at -O1 (the optimisation its documentation builds with), cheaper to build
  # than the CI build type's -O2.
  CXX=clang++ cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=CI -DCMAKE_CXX_FLAGS_CI="-O1 -g1" \
    -DFAMFS_WERROR=ON -DFAMFS_SANITIZE=thread "${launcher[@]}" >/dev/null
  bg_log=build/sanitizer-builds.log
  rm -f build/asan-built build/tsan-built
  (
    # The idle class: these builds run only on CPU time no test wants (chrt(1), sched(7)).
    chrt --idle -p 0 "$BASHPID" >/dev/null || true
    build build/clang-asan --target all "${bench_targets[@]}"
    touch build/asan-built
    chrt --idle -p 0 "$BASHPID" >/dev/null || true # idle again after wait_for_builds
    # Only what the threaded tests need: the server's unit tests with several workers, and the
    # real mounts whose daemon serves parallel readers and follows the log.
    build build/tsan --target famfs famfs_unit famfs_test_tool
    touch build/tsan-built
  ) >"$bg_log" 2>&1 &
  bg_pid=$!
fi
leg "gcc, Release (the user's build), -Werror: demo.sh"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DFAMFS_WERROR=ON -DFAMFS_VM_TESTS=ON \
  "${launcher[@]}" >/dev/null
bash scripts/demo.sh
leg "install what demo.sh built, into a temporary prefix"
bash scripts/check-install.sh build/release
cleanup
leg "gcc, Release: every target"
build build/release --target all "${bench_targets[@]}"

# Waits until the background builds reach `marker` (a file) or end; true when they reached it.
built() {
  while [ ! -e "$1" ] && kill -0 "$bg_pid" 2>/dev/null; do
    sleep 1
  done
  [ -e "$1" ]
}
# Waits until the background builds reach `marker`, or ends the script with their log when they
# failed. While the script waits, no test wants the CPU: the builds go back to the
# normal class (on a machine busy with other work the idle class could starve them).
wait_for_builds() {
  local marker=$1 pid
  if [ ! -e "$marker" ]; then
    for pid in "$bg_pid" $(descendants "$bg_pid"); do
      chrt --other -p 0 "$pid" >/dev/null 2>&1 || true
    done
  fi
  if ! built "$marker"; then
    cat "$bg_log" >&2
    echo "== the sanitizer builds failed (above; $bg_log)" >&2
    exit 1
  fi
}

leg "test: gcc, Release (the whole suite; QEMU guests included: label vm)"
ctest --test-dir build/release --output-on-failure -j "$tjobs"

if [ "$quick" -eq 0 ]; then
  leg "clang, Release + address/undefined sanitizers, -Werror: waiting for its build"
  wait_for_builds build/asan-built
  # Leg 3's tests start as soon as its build is done, beside leg 2's tests (they are few and mostly
  # wait on mounts): their output goes to build/tsan-tests.log and is printed after leg 2's. Any
  # ThreadSanitizer report, from a test or from a daemon it started, is left in tsan/ and fails
  # the leg.
  reports="$PWD/build/tsan/tsan"
  rm -rf "$reports" build/tsan-tests.rc
  mkdir -p "$reports"
  (
    built build/tsan-built || exit 0 # the build failed: wait_for_builds reports it
    rc=0
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/report" \
      ctest --test-dir build/tsan --output-on-failure -j "$tjobs" -L threads || rc=$?
    echo "$rc" >build/tsan-tests.rc
  ) >build/tsan-tests.log 2>&1 &
  tsan_pid=$!

  leg "test: clang + ASan/UBSan"
  # The load tests do less here (every famfs command costs several times more CPU under the
  # sanitizers); the GCC leg runs them at the sizes issue 10 asks for: crash-kill 50 runs,
  # concurrent-creat 4 x 1,000 files, soak-readers 60 s.
  FAMFS_CRASH_RUNS=20 FAMFS_CONCURRENT_FILES=250 FAMFS_SOAK_SECONDS=20 \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/clang-asan --output-on-failure -j "$tjobs"

  leg "clang, thread sanitizer (famfs, famfs_unit, famfs_test_tool): waiting for its build"
  wait_for_builds build/tsan-built
  leg "test: clang + TSan (ctest -L threads; started when its build was done): waiting"
  wait "$tsan_pid" || true
  cat build/tsan-tests.log
  if compgen -G "$reports/report*" >/dev/null; then
    cat "$reports"/report* >&2
    echo "== ThreadSanitizer reported the problems above" >&2
    exit 1
  fi
  rc=$(cat build/tsan-tests.rc 2>/dev/null || echo 1)
  [ "$rc" -eq 0 ] || exit "$rc"
fi
leg "done"
echo "== all tests passed"

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS (default 60),
# starting from the committed seed corpora. New inputs go to build/fuzz/corpus-<target>; a crash
# leaves its input in build/fuzz/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DFAMFS_FUZZ=ON \
  -DFAMFS_SANITIZE=address,undefined -DFAMFS_BUILD_TESTS=ON >/dev/null
targets=(fuzz_log)
[ -f tests/fuzz/fuzz_fuse.cpp ] && targets+=(fuzz_fuse)
cmake --build build/fuzz -j "$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/${t#fuzz_}"
  work="build/fuzz/corpus-$t"
  mkdir -p "$work"
  echo "== $t for ${seconds}s"
  (cd build/fuzz && "./tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
    "../../$work" "../../$seeds")
done
echo "== fuzzing: no crashes"

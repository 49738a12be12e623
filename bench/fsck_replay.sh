#!/usr/bin/env bash
# fsck speed on a 100,000-entry log (64 MiB): builds the image with famfs_bench_fsck (which also
# times the checker in process), then times `famfs fsck` on it end to end.
#   bench/fsck_replay.sh [BUILD_DIR]      (default: build; use a Release build for real numbers)
# Fails when `famfs fsck` does not exit 0 or takes longer than FSCK_BENCH_MAX_MS (default 1000).
set -euo pipefail
build="${1:-build}"
famfs="$build/cli/famfs"
bench="$build/bench/famfs_bench_fsck"
[ -x "$famfs" ] && [ -x "$bench" ] || {
  echo "build famfs and famfs_bench_fsck in $build first" >&2
  exit 2
}
max_ms="${FSCK_BENCH_MAX_MS:-1000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
export FAMFS_SYSTEM_UUID_FILE="$dir/system_uuid"

"$bench" --entries 100000 --runs 5 --write "$dir/big.img"
"$famfs" fsck "$dir/big.img" >/dev/null # warm the page cache
best=""
for _ in 1 2 3; do
  start=$(date +%s%N)
  "$famfs" fsck "$dir/big.img" >"$dir/out"
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
grep -F "# of log entries in use: 100000 of 123361" "$dir/out" >/dev/null
echo "famfs fsck of a 100000-entry log: best of 3 runs ${best} ms (limit ${max_ms} ms)"
[ "$best" -le "$max_ms" ] || {
  echo "famfs fsck is too slow" >&2
  exit 1
}

#!/bin/bash
# famfs creat --multi of 10,000 files in one command: files per second (goal >= 5,000/s).
# One locked session, one bitmap build and one batched log append for all of them.
#
# usage: bench/creat_multi.sh FAMFS_BINARY
#   BENCH_FILES (default 10000), BENCH_FILE_SIZE (default 4k; each file takes one 2 MiB unit),
#   BENCH_RUNS (default 3; the best run counts), BENCH_DIR (default /dev/shm; the device is
#   sparse, only its log is written).
set -euo pipefail

FAMFS=$(realpath "${1:?usage: creat_multi.sh FAMFS_BINARY}")
N=${BENCH_FILES:-10000}
FSIZE=${BENCH_FILE_SIZE:-4k}
RUNS=${BENCH_RUNS:-3}
DIR=$(mktemp -d "${BENCH_DIR:-/dev/shm}/famfs-bench-creat.XXXXXX")
export FAMFS_SYSTEM_UUID_FILE="$DIR/system_uuid"
trap 'rm -rf "$DIR"' EXIT

# The log must hold N entries: 8 MiB holds 15420, larger N gets a larger power of two.
loglen=8
while [ $(((loglen << 20) / 544 - 1)) -lt "$N" ]; do loglen=$((loglen * 2)); done
args=()
for ((i = 0; i < N; i++)); do args+=(-M "d/f$i,$FSIZE"); done
now() { date +%s.%N; }
best=""
for ((r = 0; r < RUNS; r++)); do
  rm -f "$DIR/dev.img"
  "$FAMFS" mkfs --loglen "${loglen}m" --size $((2 * N + loglen + 64))M "$DIR/dev.img" >/dev/null
  "$FAMFS" mkdir --device "$DIR/dev.img" d
  t0=$(now)
  "$FAMFS" creat --device "$DIR/dev.img" "${args[@]}"
  t1=$(now)
  s=$(echo "$t1 - $t0" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
done
got=$("$FAMFS" logplay --json "$DIR/dev.img" | jq -r '"\(.files) \(.errors)"')
[ "$got" = "$N 0" ] || { echo "creat made '$got' (files errors), expected '$N 0'" >&2; exit 1; }
rate=$(echo "scale=0; $N / $best" | bc -l)
printf 'famfs creat --multi: %d files in %.3f s: %s files/s (goal >= 5000)\n' "$N" "$best" "$rate"
if [ "$rate" -ge 5000 ]; then echo "PASS"; else echo "BELOW GOAL"; fi

#!/bin/bash
# famfs cp of a 1 GiB file from tmpfs into a famfs device (a backing file on tmpfs) versus a
# 1 GiB memcpy between two tmpfs mappings, in one run (goal: cp >= 0.8x memcpy).
# The cp time is the whole command: lock, log replay, allocation, the copy into the device
# mapping, persist, and the log append.
#
# usage: bench/cp_vs_memcpy.sh FAMFS_BINARY [MEMCPY_BINARY]
#   MEMCPY_BINARY defaults to famfs_bench_memcpy next to the famfs build (bench/).
#   BENCH_SIZE_MB (default 1024), BENCH_RUNS (default 3; the best run of each side counts),
#   BENCH_DIR (default /dev/shm; needs about 3x the size free), BENCH_THREADS (cp -t, default 1).
set -euo pipefail

FAMFS=$(realpath "${1:?usage: cp_vs_memcpy.sh FAMFS_BINARY [MEMCPY_BINARY]}")
MEMCPY=${2:-$(dirname "$FAMFS")/../bench/famfs_bench_memcpy}
SIZE_MB=${BENCH_SIZE_MB:-1024}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS:-1}
DIR=$(mktemp -d "${BENCH_DIR:-/dev/shm}/famfs-bench-cp.XXXXXX")
export FAMFS_SYSTEM_UUID_FILE="$DIR/system_uuid"
trap 'rm -rf "$DIR"' EXIT

head -c $((SIZE_MB << 20)) /dev/urandom >"$DIR/src"
now() { date +%s.%N; }
best_cp=""
best_mc=""
for ((r = 0; r < RUNS; r++)); do
  rm -f "$DIR/dev.img" "$DIR/dst"
  "$FAMFS" mkfs --size $((SIZE_MB + 64))M "$DIR/dev.img" >/dev/null
  t0=$(now)
  "$FAMFS" cp -t "$THREADS" --device "$DIR/dev.img" "$DIR/src" file
  t1=$(now)
  cp_s=$(echo "$t1 - $t0" | bc -l)
  rm -f "$DIR/dev.img"
  mc_s=$("$MEMCPY" "$DIR/src" "$DIR/dst")
  rm -f "$DIR/dst"
  if [ -z "$best_cp" ] || [ "$(echo "$cp_s < $best_cp" | bc -l)" = 1 ]; then best_cp=$cp_s; fi
  if [ -z "$best_mc" ] || [ "$(echo "$mc_s < $best_mc" | bc -l)" = 1 ]; then best_mc=$mc_s; fi
done
# The last copy is checked: the bench measures a correct copy, not a fast wrong one.
"$FAMFS" mkfs --size $((SIZE_MB + 64))M "$DIR/dev.img" >/dev/null
"$FAMFS" cp -t "$THREADS" --verify --device "$DIR/dev.img" "$DIR/src" file

rate() { echo "scale=0; $SIZE_MB / $1" | bc -l; }
ratio=$(echo "scale=2; $best_mc / $best_cp" | bc -l)
printf 'famfs cp: %s MiB in %.3f s (%s MiB/s)\n' "$SIZE_MB" "$best_cp" "$(rate "$best_cp")"
printf 'memcpy:   %s MiB in %.3f s (%s MiB/s)\n' "$SIZE_MB" "$best_mc" "$(rate "$best_mc")"
printf 'ratio:    %s (goal >= 0.8)\n' "$ratio"
if [ "$(echo "$ratio >= 0.8" | bc -l)" = 1 ]; then echo "PASS"; else echo "BELOW GOAL"; fi

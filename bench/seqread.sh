#!/bin/bash
# Sequential 1 MiB reads of a 1 GiB file through a famfs mount versus the same bytes in a file
# on tmpfs, in one run. Prints both rates and their ratio (goal: famfs >= 0.6x tmpfs).
#
# usage: bench/seqread.sh FAMFS_BINARY [FAMFS_TEST_TOOL]
#   The famfs file is made with `famfs creat` when that command works, else with the test tool
#   (build/tests/famfs_test_tool, found next to the binary or via $FAMFS_TEST_TOOL).
#   Needs root (or fusermount3) and about 2.2 GiB free in $BENCH_DIR (default /dev/shm).
#   Set BENCH_SIZE_MB to change the file size, BENCH_RUNS the runs per side (best one counts).
set -euo pipefail

FAMFS=$(realpath "${1:?usage: seqread.sh FAMFS_BINARY [FAMFS_TEST_TOOL]}")
TOOL=${2:-${FAMFS_TEST_TOOL:-$(dirname "$FAMFS")/../tests/famfs_test_tool}}
SIZE_MB=${BENCH_SIZE_MB:-1024}
RUNS=${BENCH_RUNS:-3}
DIR=$(mktemp -d "${BENCH_DIR:-/dev/shm}/famfs-bench.XXXXXX")
export FAMFS_SYSTEM_UUID_FILE="$DIR/system_uuid"
export FAMFS_RUNTIME_DIR="$DIR/run"
MNT="$DIR/mnt"

cleanup() {
  if grep -qF " $MNT " /proc/self/mountinfo; then
    "$FAMFS" umount "$MNT" || umount -l "$MNT" || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT

# Device: superblock + 8 MiB log (10 MiB), the file, and slack.
"$FAMFS" mkfs --size $((SIZE_MB + 64))M "$DIR/dev.img" >/dev/null
mkdir "$MNT"
"$FAMFS" mount "$DIR/dev.img" "$MNT"
if ! "$FAMFS" creat -s ${SIZE_MB}M "$MNT/big" >/dev/null 2>&1; then
  [ -x "$TOOL" ] || { echo "seqread.sh: famfs creat failed and no test tool at $TOOL" >&2; exit 1; }
  "$TOOL" file "$DIR/dev.img" big $((SIZE_MB << 20)) 0644 0 0 simple \
    $((0xa00000))+$((SIZE_MB << 20))
fi
[ "$(stat -c %s "$MNT/big")" = $((SIZE_MB << 20)) ] || { echo "seqread.sh: no ${SIZE_MB} MiB file" >&2; exit 1; }
# Real pages behind the file (not holes), written through the mount, and the tmpfs copy.
dd if=/dev/urandom of="$MNT/big" bs=1M count="$SIZE_MB" conv=notrunc status=none
cp "$MNT/big" "$DIR/ref"
cmp "$MNT/big" "$DIR/ref"

# One dd of bs=1M over $1, in MB/s (bytes / seconds / 1e6).
rate() {
  local t0 t1
  t0=$(date +%s%N)
  dd if="$1" of=/dev/null bs=1M status=none
  t1=$(date +%s%N)
  echo $(((SIZE_MB << 20) * 1000 / (t1 - t0)))
}
# Alternate the two sides so that load from other processes hits both alike; best run counts.
rate "$MNT/big" >/dev/null # warm the daemon's mapping (first-touch faults)
famfs_rate=0 tmpfs_rate=0
for ((i = 0; i < RUNS; i++)); do
  r=$(rate "$MNT/big")
  ((r > famfs_rate)) && famfs_rate=$r
  r=$(rate "$DIR/ref")
  ((r > tmpfs_rate)) && tmpfs_rate=$r
done
ratio=$(awk -v a="$famfs_rate" -v b="$tmpfs_rate" 'BEGIN { printf "%.2f", a / b }')
echo "seqread ${SIZE_MB} MiB, 1 MiB reads: famfs ${famfs_rate} MB/s, tmpfs ${tmpfs_rate} MB/s, ratio ${ratio}x (goal >= 0.6x)"

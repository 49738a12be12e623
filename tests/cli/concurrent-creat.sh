#!/usr/bin/env bash
# Two processes creating 500 files each at the same time (50 lock sessions each): the host-wide log lock serialises the
# appends, so the log holds exactly 1000 valid entries, no two files share an allocation unit,
# and fsck is clean.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img=/dev/shm/famfs-concurrent-$$.img # 1000 appends: keep msync cheap
[ -w /dev/shm ] || img="$T/dev.img"
at_exit "rm -f '$img'"
mkfs_img "$img" 2100M # 1045 free allocation units
# Each writer takes the lock 50 times (10 files per creat --multi), so the two interleave
# their lock sessions many times while each run stays cheap under the sanitizers.
writer() {
  local w=$1 i j args
  for ((i = 0; i < 500; i += 10)); do
    args=()
    for ((j = i; j < i + 10; j++)); do
      args+=(--multi "w$w-$j,$((1000 + j))")
    done
    "$FAMFS" creat --device "$img" "${args[@]}" >/dev/null || exit 1
  done
}
writer 1 &
p1=$!
writer 2 &
p2=$!
wait "$p1" || die "writer 1 failed"
wait "$p2" || die "writer 2 failed"

expect_exit 0 "$FAMFS" logplay --json "$img"
[ "$(jq -r '"\(.entries) \(.files) \(.errors)"' "$T/out")" = "1000 1000 0" ] ||
  die "logplay: $(cat "$T/out")"
# Every file has its own allocation unit: 1000 distinct offsets, none below the first data unit.
mapfile -t names < <(for w in 1 2; do for ((i = 0; i < 500; i++)); do echo "w$w-$i"; done; done)
"$FAMFS" getmap --json --device "$img" "${names[@]}" >"$T/maps.json"
[ "$(jq '[.[].extents[].offset] | unique | length' "$T/maps.json")" = 1000 ] || die "shared units"
[ "$(jq '[.[].extents[] | select(.length != 2097152 or .offset < 10485760)] | length' "$T/maps.json")" = 0 ] ||
  die "odd extents"
[ "$(jq '[.[] | select(.size < 1000 or .size > 1499)] | length' "$T/maps.json")" = 0 ] || die "sizes"
fsck_clean "$img"
expect_stdout_contains "No allocation errors found"
expect_stdout_contains "1000 of 15420 entries used"

#!/usr/bin/env bash
# Two processes creating 500 files each at the same time: the host-wide log lock serialises the
# appends, so the log holds exactly 1000 valid entries, no two files share an allocation unit,
# and fsck is clean.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img=/dev/shm/famfs-concurrent-$$.img # 1000 appends: keep msync cheap
[ -w /dev/shm ] || img="$T/dev.img"
at_exit "rm -f '$img'"
mkfs_img "$img" 2100M # 1045 free allocation units
writer() {
  local w=$1 i
  for ((i = 0; i < 500; i++)); do
    "$FAMFS" creat --device "$img" -s $((1000 + i)) "w$w-$i" || exit 1
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

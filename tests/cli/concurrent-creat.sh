#!/usr/bin/env bash
# Four processes creating 1,000 files each at the same time: the host-wide log lock serialises
# the appends, so the log holds exactly 4,000 valid entries, no two files share an allocation
# unit, and fsck is clean. Each writer takes the lock 120 times: 40 creat --multi batches of 23
# files, each followed by two single-file creats, so the lock sessions interleave finely.
# FAMFS_CONCURRENT_FILES sets the files per writer (a multiple of 25): scripts/test.sh uses 250
# in the sanitizer leg, where each command replaying a 4,000-entry log costs ~0.3 s of CPU.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

# 4,000 files of 2 MiB units make an 8 GiB device. It is sparse and only the first page of each
# file is written (a 1,000 to 1,499 byte pattern): about 16 MiB of tmpfs or disk.
img=/dev/shm/famfs-concurrent-$$.img # 4,000 appends: keep msync cheap
[ -w /dev/shm ] || img="$T/dev.img"
at_exit "rm -f '$img'"
per=${FAMFS_CONCURRENT_FILES:-1000}
[ $((per % 25)) = 0 ] && [ "$per" -gt 0 ] && [ "$per" -le 1000 ] ||
  die "FAMFS_CONCURRENT_FILES must be a multiple of 25 up to 1000"
total=$((4 * per))
mkfs_img "$img" 8200M # 4,095 free allocation units
writer() {
  local w=$1 i j args
  for ((i = 0; i < per; i += 25)); do
    args=()
    for ((j = i; j < i + 23; j++)); do
      args+=(--multi "w$w-$j,$((1000 + j % 500)),$((w * 10000 + j))")
    done
    "$FAMFS" creat --device "$img" "${args[@]}" >/dev/null || exit 1
    for ((j = i + 23; j < i + 25; j++)); do
      "$FAMFS" creat --device "$img" -s $((1000 + j % 500)) -r -S $((w * 10000 + j)) "w$w-$j" \
        >/dev/null || exit 1
    done
  done
}
pids=()
for w in 1 2 3 4; do
  writer "$w" &
  pids+=($!)
done
for w in 1 2 3 4; do
  wait "${pids[w - 1]}" || die "writer $w failed"
done

expect_exit 0 "$FAMFS" logplay --json "$img"
[ "$(jq -r '"\(.entries_used) \(.files) \(.errors)"' "$T/out")" = "$total $total 0" ] ||
  die "logplay: $(cat "$T/out")"
# Every file has its own allocation unit: 4,000 distinct offsets, none below the first data unit.
mapfile -t names < <(for w in 1 2 3 4; do for ((i = 0; i < per; i++)); do echo "w$w-$i"; done; done)
"$FAMFS" getmap --json --device "$img" "${names[@]}" >"$T/maps.json"
[ "$(jq '[.files[].extents[].offset] | unique | length' "$T/maps.json")" = "$total" ] || die "shared units"
[ "$(jq '[.files[].extents[] | select(.length != 2097152 or .offset < 10485760)] | length' "$T/maps.json")" = 0 ] ||
  die "odd extents"
[ "$(jq '[.files[] | select(.size < 1000 or .size > 1499)] | length' "$T/maps.json")" = 0 ] || die "sizes"
# Each file holds its own data: a few files of every writer, checked against their seeds.
vargs=()
for w in 1 2 3 4; do
  for i in 0 22 23 24 $((per / 2 + 11)) $((per - 1)); do vargs+=(-m "w$w-$i,$((w * 10000 + i))"); done
done
expect_exit 0 "$FAMFS" verify --device "$img" -q "${vargs[@]}"
fsck_clean "$img"
expect_stdout_contains "No allocation errors found"
expect_stdout_contains "$total of 15420 entries used"

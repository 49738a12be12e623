#!/usr/bin/env bash
# A corrupt entry in the middle of the log (valid entries after it): fsck -y leaves it and says
# --force would replace it; fsck -y --force replaces it by an INVALID entry, reported by index,
# and every other file reads back intact.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/repair_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
make_files "$img" 4 # entries 0..3
damage "$img" $(($(entry_at 1) + 44)) 0x20 # a byte of f2's path

expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: log entry 1 at device offset 0x200250: checksum mismatch"
sum=$(meta_sum "$img")
expect_exit 4 "$FAMFS" fsck -y --backup "$T/never.img" "$img"
expect_stdout_contains "  log entry 1: corrupt in the middle of the log (valid entries follow); --force replaces it with an INVALID entry"
expect_stderr_contains "famfs fsck: error: $img: 1 error left"
expect_stderr_contains "hint: famfs fsck -y --force replaces corrupt entries in the middle of the log"
[ "$(meta_sum "$img")" = "$sum" ] || die "repair without --force wrote"
[ ! -e "$T/never.img" ] || die "backup file made although nothing was written"

repair_cycle "$img" --force
expect_stdout_contains "  fixed: log entry 1 at device offset 0x200250: corrupt, with valid entries after it; replaced by an INVALID entry (what it created is lost)"
expect_stdout_contains "  3 files"
# The entry is INVALID (type 4) with seqnum 1 and a correct CRC.
[ "$(od -An -t u8 -j "$(entry_at 1)" -N 8 "$img" | tr -d ' ')" = 1 ] || die "seqnum of the INVALID entry"
[ "$(od -An -t u4 -j $(($(entry_at 1) + 8)) -N 4 "$img" | tr -d ' ')" = 4 ] || die "type of the INVALID entry"
verify_files "$img" 1 3 4
expect_exit 1 "$FAMFS" verify --device "$img" -S 2 f2
"$FAMFS" logplay --json "$img" >"$T/play.json"
[ "$(jq -r .entries_used "$T/play.json")" = 4 ] || die "logplay: $(cat "$T/play.json")"
# New files go on after the INVALID entry.
expect_exit 0 "$FAMFS" creat --device "$img" -s 1m -r -S 5 f5
fsck_clean "$img"
verify_files "$img" 1 3 4 5

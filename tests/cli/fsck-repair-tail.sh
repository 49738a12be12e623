#!/usr/bin/env bash
# fsck -y on a torn or corrupt log tail: the entries after the last valid one are zeroed and the
# counters reset to the valid prefix; every file logged before the damage reads back intact, and
# the log takes new entries right after the prefix. Counters ahead of the entries (empty slots
# counted) and counters that disagree are repaired the same way.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/repair_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
make_files "$img" 5 # entries 0..4

# The last two entries torn (bytes of the path, then the CRC itself).
damage "$img" $(($(entry_at 3) + 40))
damage "$img" $(($(entry_at 4) + 536)) 0x80
cp "$img" "$T/damaged.img"
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: log entry 3 at device offset 0x200690: checksum mismatch"
expect_stdout_contains "  error: log entry 4 at device offset 0x2008b0: checksum mismatch"
expect_stderr_contains "famfs fsck: error: $img: 2 errors found"
repair_cycle "$img"
expect_stdout_contains "Problems found:"
expect_stdout_contains "  fixed: log entries 3 to 4: torn or corrupt after the last valid entry 2; zeroed"
expect_stdout_contains "  fixed: log header at 0x200000: next index 5 -> 3, next sequence number 5 -> 3"
expect_stdout_contains "  # of log entries in use: 3 of 15420"
# The backup file holds the metadata exactly as it was before the repair.
cmp -n $((k_log + 0x800000)) "$T/backup.1.img" "$T/damaged.img" || die "backup differs from the damaged image"
[ "$(stat -c %s "$T/backup.1.img")" = $((k_log + 0x800000)) ] || die "backup size"
verify_files "$img" 1 2 3
expect_exit 1 "$FAMFS" verify --device "$img" -S 4 f4
# The log goes on from the prefix.
expect_exit 0 "$FAMFS" creat --device "$img" -s 1m -r -S 9 f9
[ "$(nentries "$img")" = 4 ] || die "entries after a new creat: $(nentries "$img")"
fsck_clean "$img"
verify_files "$img" 1 2 3 9

# A header that counts slots never written (the counters ahead of the entries).
mkfs_img "$img" 256M
make_files "$img" 3
"$FAMFS_FSCK_IMAGE" put64 "$img" $((k_log + 32)) 6
"$FAMFS_FSCK_IMAGE" put64 "$img" $((k_log + 40)) 6
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: log entry 3 at device offset 0x200690: empty slot inside the log"
repair_cycle "$img"
expect_stdout_contains "  fixed: log entries 3 to 5: torn or corrupt after the last valid entry 2; zeroed"
verify_files "$img" 1 2 3

# next_index damaged (next_seqnum and the entries agree): nothing is lost.
"$FAMFS_FSCK_IMAGE" put64 "$img" $((k_log + 40)) 1
repair_cycle "$img"
expect_stdout_contains "  fixed: log header at 0x200000: next index 1 -> 3, next sequence number 3 -> 3"
verify_files "$img" 1 2 3
# next_seqnum damaged.
"$FAMFS_FSCK_IMAGE" put64 "$img" $((k_log + 32)) 77
repair_cycle "$img"
expect_stdout_contains "  fixed: log header at 0x200000: next index 3 -> 3, next sequence number 77 -> 3"
verify_files "$img" 1 2 3

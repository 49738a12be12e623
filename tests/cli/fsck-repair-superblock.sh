#!/usr/bin/env bash
# fsck -y and the two superblocks: a damaged (or wiped) primary is restored from the backup at
# 0x1ff000; a damaged or missing backup is rewritten from the primary. A damaged primary with no
# valid backup is left alone and nothing is written. Files made before the damage read back.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/repair_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
make_files "$img" 3
sb() { dd if="$img" iflag=skip_bytes,count_bytes skip="$1" count=200 status=none | od -An -tx1; }
[ "$(sb 0)" = "$(sb $k_backup_sb)" ] || die "mkfs: backup differs from the primary"
good=$(sb 0)

# Primary checksum broken (a bit of the fs UUID).
damage "$img" 50
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: superblock: checksum mismatch"
repair_cycle "$img"
expect_stdout_contains "  fixed: superblock: damaged; restored from the backup superblock at 0x1ff000"
[ "$(sb 0)" = "$good" ] || die "primary not restored byte for byte"
verify_files "$img" 1 2 3

# Primary wiped (its magic gone).
zero_bytes "$img" 0 4096
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: superblock: not a famfs file system (no superblock magic)"
repair_cycle "$img"
[ "$(sb 0)" = "$good" ] || die "wiped primary not restored"
verify_files "$img" 1 2 3

# Backup damaged.
damage "$img" $((k_backup_sb + 70))
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: backup superblock at 0x1ff000: checksum mismatch"
repair_cycle "$img"
expect_stdout_contains "  fixed: backup superblock at 0x1ff000: was damaged; rewritten from the primary"
[ "$(sb $k_backup_sb)" = "$good" ] || die "backup not rewritten"

# Backup missing (as on file systems made by upstream famfs): only an info note for fsck, so it
# exits 0; fsck -y writes one all the same.
zero_bytes "$img" $k_backup_sb 200
expect_exit 0 "$FAMFS" -vv fsck "$img"
expect_stdout_contains "  info: backup superblock at 0x1ff000: none"
expect_exit 1 "$FAMFS" fsck -y --no-backup "$img"
expect_stdout_contains "  fixed: backup superblock at 0x1ff000: was missing; rewritten from the primary"
expect_exit 0 "$FAMFS" -vv fsck "$img"
grep -q "info: backup superblock" "$T/out" && die "backup still missing after the repair"
[ "$(sb $k_backup_sb)" = "$good" ] || die "backup not written"
verify_files "$img" 1 2 3

# A damaged primary with no valid backup: nothing to trust, nothing written.
zero_bytes "$img" $k_backup_sb 200
damage "$img" 50
sum=$(meta_sum "$img")
expect_exit 4 "$FAMFS" fsck -y --backup "$T/never.img" "$img"
expect_stdout_contains "  superblock: its checksum (or allocation unit) is wrong and there is no valid backup superblock; repair does not guess which field is damaged"
expect_stderr_contains "famfs fsck: error: $img: 1 error left"
[ "$(meta_sum "$img")" = "$sum" ] || die "repair wrote with nothing to trust"
[ ! -e "$T/never.img" ] || die "backup file made although nothing was written"

#!/usr/bin/env bash
# fsck -y refuses a device mounted on this host (by device or by a path inside the mount) with
# exit 8 and writes nothing; once unmounted, the same repair goes through.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
# Something for -y to fix that does not bother the mount: the backup superblock is missing.
dd if=/dev/zero of="$T/dev.img" bs=1 seek=$((0x1ff000)) count=200 conv=notrunc status=none
famfs_mount "$T/dev.img" "$T/mnt"
mnt=$(realpath "$T/mnt")
sum=$(sha256sum <"$T/dev.img")

expect_exit 8 "$FAMFS" fsck -y --backup "$T/b.img" "$T/dev.img"
expect_stderr_contains "famfs fsck: error: $T/dev.img: device is mounted on $mnt; repair needs it unmounted"
expect_stderr_contains "hint: unmount it first (famfs umount $mnt); famfs fsck -n checks it as it is"
expect_exit 8 "$FAMFS" fsck -y --backup "$T/b.img" "$T/mnt"
expect_stderr_contains "device is mounted on $mnt"
[ "$(sha256sum <"$T/dev.img")" = "$sum" ] || die "fsck -y wrote to a mounted device"
[ ! -e "$T/b.img" ] || die "fsck -y made a backup file for a mounted device"
# -n still checks it.
expect_exit 0 "$FAMFS" fsck -n "$T/dev.img"

"$FAMFS" umount "$T/mnt" >/dev/null
expect_exit 1 "$FAMFS" fsck -y --backup "$T/b.img" "$T/dev.img"
expect_stdout_contains "fixed: backup superblock at 0x1ff000: was missing; rewritten from the primary"

#!/bin/bash
# .meta/.superblock (2 MiB) and .meta/.log (the log length) are read-only files backed by those
# regions of the device.
source "$(dirname "$0")/common.sh"

rm -f "$T/dev.img"
"$FAMFS" mkfs --size 96M --loglen 16M "$T/dev.img" >/dev/null
famfs_mount "$T/dev.img" "$T/mnt"
[ "$(stat -c %s "$T/mnt/.meta/.superblock")" = 2097152 ] || die "superblock size"
[ "$(stat -c %s "$T/mnt/.meta/.log")" = $((16 << 20)) ] || die "log size"
[ "$(stat -c %a "$T/mnt/.meta/.superblock")" = 444 ] || die "superblock mode"
[ "$(stat -c %a "$T/mnt/.meta/.log")" = 444 ] || die "log mode"
[ "$(stat -c %F "$T/mnt/.meta")" = directory ] || die ".meta is not a directory"
cmp <(devbytes "$T/dev.img" 0 $((2 << 20))) "$T/mnt/.meta/.superblock" || die "superblock bytes"
cmp <(devbytes "$T/dev.img" $((2 << 20)) $((16 << 20))) "$T/mnt/.meta/.log" || die "log bytes"
# Read-only even for root.
expect_eperm dd if=/dev/zero of="$T/mnt/.meta/.log" bs=1 count=1 conv=notrunc
cmp <(devbytes "$T/dev.img" $((2 << 20)) 48) <(head -c 48 "$T/mnt/.meta/.log") || die "log changed"

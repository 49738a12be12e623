#!/bin/bash
# On a client host (another system UUID than the superblock's) file data is read-only: opening
# for write fails with EROFS. --writable allows writes inside files.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$TT" file "$T/dev.img" f 4096 0644 0 0 simple $DATA0+$AU
export FAMFS_SYSTEM_UUID_FILE="$T/client_uuid" # this "host" is not the master
famfs_mount "$T/dev.img" "$T/mnt"
[ "$(stat -c %a "$T/mnt/f")" = 444 ] || die "write bits shown on a read-only mount"
cat "$T/mnt/f" >/dev/null
rc=0
echo hi | dd of="$T/mnt/f" conv=notrunc status=none 2>"$T/err" || rc=$?
[ $rc -ne 0 ] && grep -q "Read-only file system" "$T/err" || die "write on a client did not fail with EROFS"
"$FAMFS" umount "$T/mnt"

famfs_mount "$T/dev.img" "$T/mnt" --writable
echo hi | dd of="$T/mnt/f" conv=notrunc status=none
[ "$(devbytes "$T/dev.img" $DATA0 3)" = "hi" ] || die "--writable write missing"

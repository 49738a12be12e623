#!/bin/bash
# A write through the mount into a sparse backing file whose tmpfs is full fails with ENOSPC
# ("No space left on device"), not EIO or a media error; once space is freed it works.
source "$(dirname "$0")/common.sh"
small="$T/small"
small_tmpfs "$small"

img="$small/dev.img"
expect_exit 0 "$FAMFS" mkfs --size 48m "$img"
famfs_mount "$img" "$T/mnt"
expect_exit 0 "$FAMFS" creat -s 4m "$T/mnt/f"
dd if=/dev/zero of="$small/filler" bs=1M status=none 2>/dev/null || true # until full
[ "$(stat -f -c %a "$small")" = 0 ] || die "the tmpfs is not full"

rc=0
dd if=/dev/urandom of="$T/mnt/f" bs=64k count=1 conv=notrunc,fsync status=none 2>"$T/err" || rc=$?
[ "$rc" != 0 ] || die "a write into a full backing file system succeeded"
expect_stderr_contains "No space left on device"
not grep -qi "Input/output error" "$T/err"
expect_exit 0 "$FAMFS" status "$T/mnt"
not grep -qi "media" "$T/out"

rm "$small/filler"
dd if=/dev/urandom of="$T/mnt/f" bs=64k count=1 conv=notrunc,fsync status=none

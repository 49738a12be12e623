#!/bin/bash
# On the master, writes inside a file land in the right device bytes (across an extent
# boundary); a write at or past the end of the file fails with EPERM and changes nothing.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
size=$((2 * AU + 1000))
"$TT" file "$T/dev.img" f $size 0644 0 0 simple $((DATA0 + 3 * AU))+$AU,$DATA0+$((2 * AU))
famfs_mount "$T/dev.img" "$T/mnt"

head -c 8192 /dev/urandom >"$T/data"
# 8 KiB at AU - 4096: half in the first extent (AU 3), half at the start of the second (AU 0).
dd if="$T/data" of="$T/mnt/f" bs=8192 seek=$((AU - 4096)) oflag=seek_bytes conv=notrunc status=none
cmp <(devbytes "$T/dev.img" $((DATA0 + 4 * AU - 4096)) 4096) <(head -c 4096 "$T/data") \
  || die "first half not at the end of extent 1"
cmp <(devbytes "$T/dev.img" $DATA0 4096) <(tail -c 4096 "$T/data") \
  || die "second half not at the start of extent 2"
cmp <(dd if="$T/mnt/f" bs=8192 skip=$((AU - 4096)) iflag=skip_bytes count=1 status=none) "$T/data" \
  || die "read-back differs"

# Past the end: EPERM, size unchanged, bytes after the end untouched.
expect_eperm dd if="$T/data" of="$T/mnt/f" bs=100 count=1 seek=$size oflag=seek_bytes conv=notrunc
expect_eperm bash -c "echo more >>'$T/mnt/f'"
[ "$(stat -c %s "$T/mnt/f")" = $size ] || die "size changed"
cmp <(devbytes "$T/dev.img" $((DATA0 + AU + 1000)) 100) <(head -c 100 /dev/zero) \
  || die "bytes past the end were written"
# A write straddling the end writes only up to the end.
rc=0
dd if="$T/data" of="$T/mnt/f" bs=200 count=1 seek=$((size - 50)) oflag=seek_bytes conv=notrunc \
  status=none 2>"$T/err" || rc=$?
cmp <(devbytes "$T/dev.img" $((DATA0 + AU + 1000 - 50)) 50) <(head -c 50 "$T/data") \
  || die "the part inside the file was not written"
cmp <(devbytes "$T/dev.img" $((DATA0 + AU + 1000)) 150) <(head -c 150 /dev/zero) \
  || die "the straddling write went past the end"
[ "$(stat -c %s "$T/mnt/f")" = $size ] || die "size changed"
# fsync persists the range.
sync "$T/mnt/f"

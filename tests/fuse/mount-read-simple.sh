#!/bin/bash
# A file with a simple map (three extents, out of device order) reads back as its device bytes,
# sequentially and with random preads across extent boundaries.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
size=$((5 * AU - 12345))
"$TT" file "$T/dev.img" f $size 0644 0 0 \
  simple $((DATA0 + 4 * AU))+$AU,$DATA0+$((2 * AU)),$((DATA0 + 2 * AU))+$((2 * AU))
# The reference: random bytes, written to the device piece by piece where the map says.
head -c $((5 * AU)) /dev/urandom >"$T/all"
putbytes "$T/dev.img" $((DATA0 + 4 * AU)) <(head -c $AU "$T/all")
putbytes "$T/dev.img" $DATA0 <(tail -c +$((AU + 1)) "$T/all" | head -c $((2 * AU)))
putbytes "$T/dev.img" $((DATA0 + 2 * AU)) <(tail -c +$((3 * AU + 1)) "$T/all")
head -c $size "$T/all" >"$T/ref"

famfs_mount "$T/dev.img" "$T/mnt"
[ "$(stat -c %s "$T/mnt/f")" = $size ] || die "size"
cmp "$T/ref" "$T/mnt/f" || die "cat of the file differs from the device bytes"
dd if="$T/mnt/f" bs=1M status=none | cmp - "$T/ref" || die "1 MiB reads differ"
dd if="$T/mnt/f" bs=4099 status=none | cmp - "$T/ref" || die "odd-sized reads differ"
"$TT" pread-check "$T/mnt/f" "$T/ref" 3000 1

#!/bin/bash
# A damaged log entry stops replay there: the mount serves the entries before it and the
# daemon's trace says why.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$TT" file "$T/dev.img" a 10 0644 0 0 simple $DATA0+$AU
"$TT" file "$T/dev.img" b 10 0644 0 0 simple $((DATA0 + AU))+$AU
"$TT" file "$T/dev.img" c 10 0644 0 0 simple $((DATA0 + 2 * AU))+$AU
# Flip a byte of entry 1's path ("b"): its checksum no longer matches.
printf 'X' | dd of="$T/dev.img" bs=1 seek=$((0x200000 + 48 + 544 + 40)) conv=notrunc status=none
famfs_mount "$T/dev.img" "$T/mnt"
[ "$(ls "$T/mnt")" = a ] || die "listing: $(ls "$T/mnt")"
grep -q "replay stopped at entry 1" "$T/fuse.log" || die "no trace of the bad entry"
grep -q "log entry 1 .*checksum mismatch" "$T/fuse.log" || die "trace does not say why"

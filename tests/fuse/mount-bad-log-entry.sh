#!/bin/bash
# A damaged log entry stops replay there: the mount serves the entries before it and the
# daemon's trace says why.
source "$(dirname "$0")/common.sh"

bad_entry_image "$T/dev.img" # entry 1 (b) has a bad checksum
famfs_mount "$T/dev.img" "$T/mnt"
[ "$(ls "$T/mnt")" = a ] || die "listing: $(ls "$T/mnt")"
grep -q "replay stopped at entry 1" "$T/fuse.log" || die "no trace of the bad entry"
grep -q "log entry 1 .*checksum mismatch" "$T/fuse.log" || die "trace does not say why"

#!/bin/bash
# Health tells the truth (issue 16): famfs status does not say "healthy" while replay stops at a
# damaged log entry (the files after it are missing) or while the backing file is shorter than
# its superblock says; it exits 1 naming the problem, and famfs mount warns at mount time.
source "$(dirname "$0")/common.sh"

# A damaged entry: b's checksum no longer matches, so b and c are missing from the mount.
bad_entry_image "$T/dev.img"
mkdir -p "$T/m1"
at_exit "umount -l '$T/m1' 2>/dev/null"
expect_exit 0 "$FAMFS" mount "$T/dev.img" "$T/m1"
expect_stderr_contains "famfs mount: warning: $T/dev.img: log replay stops at entry 1 of 3"
expect_stderr_contains "checksum mismatch"
[ "$(ls "$T/m1")" = a ] || die "listing: $(ls "$T/m1")"
expect_exit 1 "$FAMFS" status "$T/m1"
grep -q "^health: *DAMAGED: log replay stops at entry 1 of 3 .*are missing" "$T/out" \
  || die "status: $(cat "$T/out")"
expect_stderr_contains "famfs status: error: $T/dev.img: log replay stops at entry 1 of 3"
expect_exit 1 "$FAMFS" status --json "$T/m1"
[ "$(jq -r .healthy "$T/out")" = false ] || die "JSON healthy: $(cat "$T/out")"
[ "$(jq '.problems | length' "$T/out")" = 1 ] || die "JSON problems: $(cat "$T/out")"
"$FAMFS" umount "$T/m1"

# A backing file shorter than its superblock says.
fuse_mkfs "$T/short.img" 64M
"$TT" file "$T/short.img" a 10 0644 0 0 simple $DATA0+$AU
truncate -s 32M "$T/short.img"
mkdir -p "$T/m2"
at_exit "umount -l '$T/m2' 2>/dev/null"
expect_exit 0 "$FAMFS" mount "$T/short.img" "$T/m2"
expect_stderr_contains "famfs mount: warning: $T/short.img: the device holds 33554432 bytes, fewer than the 67108864 its superblock records"
expect_exit 1 "$FAMFS" status "$T/m2"
grep -q "^health: *DAMAGED: the device holds 33554432 bytes" "$T/out" || die "status: $(cat "$T/out")"
"$FAMFS" umount "$T/m2"

# A whole file system: healthy, and mount says nothing.
fuse_mkfs "$T/ok.img" 64M
mkdir -p "$T/m3"
at_exit "umount -l '$T/m3' 2>/dev/null"
expect_exit 0 "$FAMFS" mount "$T/ok.img" "$T/m3"
[ ! -s "$T/err" ] || die "mount of a whole file system warned: $(cat "$T/err")"
expect_exit 0 "$FAMFS" status "$T/m3"
expect_stdout_contains "health:          healthy"
"$FAMFS" umount "$T/m3"

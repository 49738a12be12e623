#!/usr/bin/env bash
# mkfs on a fresh backing file, then fsck: clean (exit 0), the summary mkfs printed is fsck's,
# and the summary text is upstream's layout with the expected numbers.
source "$(dirname "$0")/common.sh"

mkimg "$T/dev.img" 64M
expect_exit 0 "$FAMFS" mkfs "$T/dev.img"
cp "$T/out" "$T/mkfs.out"
[ ! -s "$T/err" ] || die "mkfs wrote to stderr"

expect_exit 0 "$FAMFS" fsck "$T/dev.img"
[ ! -s "$T/err" ] || die "fsck wrote to stderr"
expect_file_eq "$T/mkfs.out" "$T/out"

# The whole text, with the UUIDs and the device name masked.
sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/; s/^  primary: .*   /  primary: DEV   /' \
  "$T/out" >"$T/masked"
cat >"$T/want" <<'TXT'
Famfs Superblock:
  Filesystem UUID:   UUID
  Device UUID:       UUID
  System UUID:       UUID
  role of this node: Owner
  alloc_unit:        0x200000
  OMF major version: 2
  OMF minor version: 2
  sizeof superblock: 200
  log size (bytes):  8388608
  primary: DEV   67108864

Log stats:
  # of log entries in use: 0 of 15420
  Log size in use:          48
  Log size (total bytes)    8388608
  No allocation errors found

Capacity:
  Device capacity:        67108864
  Bitmap capacity:        67108864
  Sum of file sizes:      0
  Allocated bytes:        10485760
  Free space:             56623104
  Space amplification:     inf
  Percent used:            15.6%

Famfs log:
  0 of 15420 entries used
  0 bad log entries detected
  0 files
  0 directories

TXT
diff -u "$T/want" "$T/masked" || die "fsck summary differs"

# The system UUID in the superblock is this host's.
grep -qF "System UUID:       $(tr -d '\0' <"$FAMFS_SYSTEM_UUID_FILE")" "$T/out" || die "system UUID"

# Another host (another system UUID file) is a client.
printf '79c07b3f-5155-4b09-9ffa-ccb9ff775c82\0' >"$T/other_uuid"
expect_exit 0 "$FAMFS" fsck --system-uuid-file "$T/other_uuid" "$T/dev.img"
expect_stdout_contains "role of this node: Client"

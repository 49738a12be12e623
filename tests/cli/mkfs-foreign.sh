#!/usr/bin/env bash
# mkfs never destroys another file system without --force (issue 16): on an ext4 image it refuses,
# naming the signature, and leaves the image as it was; --force makes a famfs and erases the old
# signature, so that blkid no longer reports ext4. A partition table is refused the same way.
source "$(dirname "$0")/common.sh"

command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing (e2fsprogs)"
command -v blkid >/dev/null || skip "blkid missing (util-linux)"

mkimg "$T/e.img" 64M
mkfs.ext4 -q -F "$T/e.img"
[ "$(blkid -p -o value -s TYPE "$T/e.img")" = ext4 ] || die "mkfs.ext4 made no ext4"
sum1=$(sha256sum <"$T/e.img")

expect_exit 1 "$FAMFS" mkfs "$T/e.img"
expect_stderr_contains "famfs mkfs: error: $T/e.img: contains an ext4 file system"
expect_stderr_contains "hint: use --force to overwrite it"
[ "$(sha256sum <"$T/e.img")" = "$sum1" ] || die "refused mkfs changed the image"

expect_exit 0 "$FAMFS" mkfs --force "$T/e.img"
rc=0
blkid -p "$T/e.img" >"$T/blkid" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || die "blkid still finds something (exit $rc): $(cat "$T/blkid")"
expect_exit 0 "$FAMFS" fsck "$T/e.img"

# A dos partition table (sfdisk from util-linux).
if command -v sfdisk >/dev/null; then
  mkimg "$T/p.img" 64M
  echo 'start=2048, type=83' | sfdisk -q "$T/p.img" >/dev/null
  expect_exit 1 "$FAMFS" mkfs "$T/p.img"
  expect_stderr_contains "$T/p.img: contains a dos partition table"
  expect_exit 0 "$FAMFS" mkfs --force "$T/p.img"
  rc=0
  blkid -p "$T/p.img" >"$T/blkid" 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || die "blkid still finds a partition table (exit $rc): $(cat "$T/blkid")"
fi

# A fresh famfs is not foreign: a second mkfs is refused for being a famfs, not for blkid.
expect_exit 1 "$FAMFS" mkfs "$T/e.img"
expect_stderr_contains "already holds a famfs file system"

#!/usr/bin/env bash
# A mounted file system: mkfs refuses its device (touching nothing); fsck checks it read-only, by
# device (with a warning) or through any path inside the mount.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/mnt"
mnt=$(realpath "$T/mnt")
sum=$(sha256sum <"$T/dev.img")

expect_exit 1 "$FAMFS" mkfs --force "$T/dev.img"
expect_stderr_contains "famfs mkfs: error: $T/dev.img: device is mounted on $mnt"
expect_stderr_contains "hint: unmount it first"
expect_exit 1 "$FAMFS" mkfs --kill --force "$T/dev.img"
expect_stderr_contains "device is mounted on $mnt"
[ "$(sha256sum <"$T/dev.img")" = "$sum" ] || die "mkfs of a mounted device wrote to it"

expect_exit 0 "$FAMFS" fsck "$T/dev.img"
expect_stderr_contains "famfs fsck: warning: $T/dev.img is mounted on $mnt; checking it read-only"
expect_stdout_contains "No allocation errors found"
uuid=$(sed -n 's/^  Filesystem UUID: *//p' "$T/out")
[ -n "$uuid" ] || die "no summary"

for p in "$T/mnt" "$T/mnt/.meta" "$T/mnt/.meta/.log"; do
  expect_exit 0 "$FAMFS" fsck "$p"
  expect_stdout_contains "Filesystem UUID:   $uuid"
done
[ "$(sha256sum <"$T/dev.img")" = "$sum" ] || die "fsck wrote to the device"

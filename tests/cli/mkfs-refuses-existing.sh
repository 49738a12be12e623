#!/usr/bin/env bash
# A second mkfs is refused without --force and leaves the device untouched; --force makes a new
# file system; --kill without --force is a plain mkfs, so it is refused too.
source "$(dirname "$0")/common.sh"

mkimg "$T/dev.img" 64M
expect_exit 0 "$FAMFS" mkfs "$T/dev.img"
uuid1=$(sed -n 's/^  Filesystem UUID: *//p' "$T/out")
sum1=$(sha256sum <"$T/dev.img")

expect_exit 1 "$FAMFS" mkfs "$T/dev.img"
expect_stderr_contains "famfs mkfs: error: $T/dev.img: already holds a famfs file system"
expect_stderr_contains "hint: use --force to overwrite it (its files are lost)"
[ "$(sha256sum <"$T/dev.img")" = "$sum1" ] || die "refused mkfs changed the device"

expect_exit 1 "$FAMFS" mkfs --kill "$T/dev.img"
expect_stderr_contains "already holds a famfs file system"
[ "$(sha256sum <"$T/dev.img")" = "$sum1" ] || die "refused mkfs --kill changed the device"

expect_exit 0 "$FAMFS" mkfs --force "$T/dev.img"
uuid2=$(sed -n 's/^  Filesystem UUID: *//p' "$T/out")
[ -n "$uuid2" ] && [ "$uuid1" != "$uuid2" ] || die "--force did not make a new file system"
expect_exit 0 "$FAMFS" fsck "$T/dev.img"
expect_stdout_contains "Filesystem UUID:   $uuid2"

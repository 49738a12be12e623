#!/bin/bash
# creat of "name/" (a trailing slash names a directory) is refused and makes nothing; cp -r of a
# directory into itself or below itself is refused as GNU cp refuses it, before anything is copied.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/mnt"
M="$T/mnt"

expect_exit 2 "$FAMFS" creat -s 4k "$M/name/"
expect_stderr_contains "famfs creat: error: $M/name/: a trailing slash names a directory; creat makes files"
expect_exit 2 "$FAMFS" creat -s 4k "$M/name/."
[ ! -e "$M/name" ] || die "creat name/ made something"
expect_exit 2 "$FAMFS" creat --device "$T/dev.img" -s 4k other/
expect_stderr_contains "other/: a trailing slash names a directory"

expect_exit 0 "$FAMFS" mkdir "$M/d1"
expect_exit 0 "$FAMFS" creat -s 4k "$M/d1/f"
expect_exit 0 "$FAMFS" mkdir "$M/d1/sub"
expect_exit 2 "$FAMFS" cp -r "$M/d1" "$M/d1/sub"
expect_stderr_contains "famfs cp: error: cannot copy a directory, $M/d1, into itself, $M/d1/sub/d1"
expect_exit 2 "$FAMFS" cp -r "$M/d1" "$M/d1/new"
expect_stderr_contains "into itself, $M/d1/new"
expect_exit 2 "$FAMFS" cp -r "$M/d1" "$M/d1"
expect_exit 2 "$FAMFS" cp -r "$M/d1/" "$M/d1/sub/"
expect_exit 2 "$FAMFS" cp -r "$M" "$M/d1"
[ "$(ls -A "$M/d1/sub")" = "" ] || die "cp -r into itself copied: $(ls -A "$M/d1/sub")"
[ ! -e "$M/d1/new" ] || die "cp -r into itself made d1/new"
# Beside itself is fine.
expect_exit 0 "$FAMFS" cp -r "$M/d1" "$M/d2"
[ -f "$M/d2/f" ] || die "cp -r d1 d2: $(ls -R "$M")"
expect_exit 0 "$FAMFS" fsck "$T/dev.img"
expect_stdout_contains "2 files"

#!/bin/bash
# famfs mount refuses, with a clear message and exit 1: a file that is not a famfs, a device
# already mounted, a missing mount point, a mount point that is not a directory or not empty.
source "$(dirname "$0")/common.sh"

truncate -s 64M "$T/junk.img"
mkdir "$T/m1" "$T/m2"
expect_exit 1 "$FAMFS" mount "$T/junk.img" "$T/m1"
expect_stderr_contains "famfs mount: error: $T/junk.img: not a famfs file system"
! grep -qF " $T/m1 " /proc/self/mountinfo || die "junk got mounted"

fuse_mkfs "$T/dev.img" 64M
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/nowhere"
expect_stderr_contains "famfs mount: error: $T/nowhere: mount point does not exist"
expect_stderr_contains "hint: create it first"
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/junk.img"
expect_stderr_contains "famfs mount: error: $T/junk.img: mount point is not a directory"
touch "$T/m2/x"
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/m2"
expect_stderr_contains "famfs mount: error: $T/m2: mount point is not empty"
rm "$T/m2/x"

famfs_mount "$T/dev.img" "$T/m1"
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/m2"
expect_stderr_contains "famfs mount: error: $T/dev.img: already mounted on $(realpath "$T/m1")"
expect_stderr_contains "hint: famfs umount"
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/m1"
! grep -qF " $(realpath "$T/m2") " /proc/self/mountinfo || die "mounted twice"

# Usage errors exit 2.
expect_exit 2 "$FAMFS" mount "$T/dev.img"
expect_exit 2 "$FAMFS" mount --writable --read-only "$T/dev.img" "$T/m2"

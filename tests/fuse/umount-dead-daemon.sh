#!/bin/bash
# famfs umount cleans up after a daemon that died (SIGKILL), and refuses what is not famfs.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt"
"$FAMFS" mount "$T/dev.img" "$T/mnt"
pid=$(cat "$T/run/"*.pid)
kill -KILL "$pid"
sleep 0.2
! ls "$T/mnt" 2>/dev/null || die "dead mount still answers"
# The dead connection is unmounted (lazily when needed).
expect_exit 0 "$FAMFS" umount "$T/mnt"
! grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo || die "still mounted"
# And it can be mounted again.
"$FAMFS" mount "$T/dev.img" "$T/mnt"
exec 7<"$T/mnt/.meta/.log"
expect_exit 1 "$FAMFS" umount "$T/mnt"
expect_stderr_contains "famfs umount: error: $T/mnt: file system is busy"
expect_stderr_contains "hint: close the files open on it, or use --lazy"
pid=$(cat "$T/run/"*.pid)
kill -KILL "$pid"
sleep 0.2
expect_exit 0 "$FAMFS" umount "$T/mnt" # dead daemon + open file: detached lazily
exec 7<&-
! grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo || die "still mounted"
expect_exit 1 "$FAMFS" umount /tmp
expect_stderr_contains "famfs umount: error: /tmp: not a famfs mount point"

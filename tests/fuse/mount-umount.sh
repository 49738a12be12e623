#!/bin/bash
# famfs mount (background daemon) returns once the mount answers; famfs umount unmounts it and
# waits for the daemon to exit.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt"
expect_exit 0 "$FAMFS" -v mount "$T/dev.img" "$T/mnt"
at_exit "umount -l '$T/mnt' 2>/dev/null"
expect_stdout_contains "daemon pid"
expect_stdout_contains "trace in $T/run/"
line=$(grep -F " $(realpath "$T/mnt") " /proc/self/mountinfo) || die "mount missing from mountinfo"
[[ "$line" == *" - fuse.famfs $(realpath "$T/dev.img") "* ]] || die "mountinfo: $line"
pidfile=$(echo "$T/run/"*.pid)
pid=$(cat "$pidfile")
kill -0 "$pid" || die "daemon $pid is not running"
[ "$(ls -A "$T/mnt")" = ".meta" ] || die "unexpected root: $(ls -A "$T/mnt")"

expect_exit 0 "$FAMFS" umount "$T/mnt"
! grep -qF " $T/mnt " /proc/self/mountinfo || die "still mounted"
! kill -0 "$pid" 2>/dev/null || die "daemon $pid still running after umount"
[ ! -e "$pidfile" ] || die "pid file left behind"

# Not mounted any more: a clear error.
expect_exit 1 "$FAMFS" umount "$T/mnt"
expect_stderr_contains "famfs umount: error: $T/mnt: not a famfs mount point"

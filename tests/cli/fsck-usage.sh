#!/usr/bin/env bash
# fsck exit codes for what is not a check: usage 16, operational errors 8 (fsck(8)).
source "$(dirname "$0")/common.sh"

expect_exit 0 "$FAMFS" fsck --help
expect_exit 16 "$FAMFS" fsck
expect_stderr_contains "famfs fsck: error: missing DEVICE"
expect_exit 16 "$FAMFS" fsck --no-such-option "$T/x"
expect_exit 16 "$FAMFS" fsck "$T/a" "$T/b"

expect_exit 8 "$FAMFS" fsck "$T/missing.img"
expect_stderr_contains "famfs fsck: error: $T/missing.img: No such file or directory"

expect_exit 8 "$FAMFS" fsck "$T"
expect_stderr_contains "directory is not in a mounted famfs"

mkimg "$T/blank.img" 64M
expect_exit 8 "$FAMFS" fsck "$T/blank.img"
expect_stderr_contains "famfs fsck: error: $T/blank.img: superblock: not a famfs file system (no superblock magic)"
[ ! -s "$T/out" ] || die "nothing to summarise, yet stdout is not empty"

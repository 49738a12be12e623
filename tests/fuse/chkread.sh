#!/bin/bash
# famfs chkread (upstream's read check): read(2) and mmap of a file in the mount give the same
# bytes, for a data file and for .meta/.superblock (-s) and .meta/.log (-l); a missing file and
# a directory are errors and the other files are still checked. (A mount whose read and map
# paths disagree cannot be staged here.)
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/mnt"
head -c 3000000 /dev/urandom >"$T/src"
"$FAMFS" cp "$T/src" "$T/mnt/f"
# upstream: famfs chkread FILE; chkread -s .meta/.superblock; chkread -l .meta/.log
expect_exit 0 "$FAMFS" chkread "$T/mnt/f"
expect_stdout_contains "$T/mnt/f: read and mmap match (3000000 bytes)"
expect_exit 0 "$FAMFS" chkread -s "$T/mnt/.meta/.superblock"
expect_stdout_contains "by mmap: superblock of file system"
expect_stdout_contains "by read: superblock of file system"
expect_exit 0 "$FAMFS" chkread -l "$T/mnt/.meta/.log"
expect_stdout_contains "by mmap: log with 1 entries"
expect_stdout_contains "by read: log with 1 entries"
expect_exit 1 "$FAMFS" chkread "$T/mnt/nosuch" "$T/mnt/f"
expect_stderr_contains "famfs chkread: error: $T/mnt/nosuch: No such file or directory"
expect_stdout_contains "read and mmap match"
expect_exit 2 "$FAMFS" chkread "$T/mnt"
expect_stderr_contains "not a regular file"

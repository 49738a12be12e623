#!/bin/bash
# Copying a famfs file onto itself is refused as GNU cp refuses it ("are the same file"), and the
# file is left as it was.
source "$(dirname "$0")/common.sh"
fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/mnt"
head -c 100000 /dev/urandom >"$T/src"
"$FAMFS" cp "$T/src" "$T/mnt/f"
expect_exit 4 "$FAMFS" cp "$T/mnt/f" "$T/mnt/f"
expect_stderr_contains "famfs cp: error: $T/mnt/f and $T/mnt/f are the same file"
expect_exit 4 "$FAMFS" cp "$T/mnt/f" "$T/mnt"
expect_stderr_contains "are the same file"
cmp "$T/src" "$T/mnt/f" || die "f changed"
# Another name is a copy, as usual.
expect_exit 0 "$FAMFS" cp "$T/mnt/f" "$T/mnt/g"
cmp "$T/src" "$T/mnt/g" || die "g"

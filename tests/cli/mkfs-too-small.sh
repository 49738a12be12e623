#!/usr/bin/env bash
# A device too small for superblock + log + one allocation unit is refused, naming the minimum,
# and left untouched; exactly the minimum works; a too-small --size creates nothing.
source "$(dirname "$0")/common.sh"

mkimg "$T/dev.img" $((12 * 1024 * 1024 - 4096))
expect_exit 2 "$FAMFS" mkfs "$T/dev.img"
expect_stderr_contains "famfs mkfs: error: $T/dev.img: device of 12578816 bytes is too small"
expect_stderr_contains "needs at least 12582912 bytes (12m: superblock, log and one allocation unit)"
expect_stderr_contains "hint: grow a backing file with --size 12m"
cmp -s -n $((12 * 1024 * 1024 - 4096)) "$T/dev.img" /dev/zero || die "refused mkfs wrote"

expect_exit 2 "$FAMFS" mkfs --loglen 16m "$T/dev.img"
expect_stderr_contains "needs at least 20971520 bytes"

mkimg "$T/dev.img" 12M
expect_exit 0 "$FAMFS" mkfs "$T/dev.img"
expect_exit 0 "$FAMFS" fsck "$T/dev.img"

expect_exit 2 "$FAMFS" mkfs --size 4m "$T/new.img"
expect_stderr_contains "too small"
[ ! -e "$T/new.img" ] || die "a refused --size created the file"

#!/usr/bin/env bash
# A sparse backing file whose file system (a tmpfs) is full: writing file data (creat -r, cp) is
# "no space left on the backing file system" (exit 1), never "media error ... poisoned" (exit 3),
# and nothing is logged. Once space is freed the same commands work.
source "$(dirname "$0")/common.sh"
small="$T/small"
small_tmpfs "$small"

img="$small/dev.img"
expect_exit 0 "$FAMFS" mkfs --size 48m "$img"
head -c 4194304 /dev/urandom >"$T/src"
dd if=/dev/zero of="$small/filler" bs=1M status=none 2>/dev/null || true # until full
[ "$(stat -f -c %a "$small")" = 0 ] || die "the tmpfs is not full"

expect_exit 1 "$FAMFS" creat --device "$img" -r -S 5 -s 8m data
expect_stderr_contains "famfs creat: error: data: $img: no space left on the backing file system"
not grep -qi "media error\|poison" "$T/err"
expect_exit 1 "$FAMFS" cp --device "$img" "$T/src" copy
expect_stderr_contains "$img: no space left on the backing file system"
not grep -qi "media error\|poison" "$T/err"
expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "0 files"

rm "$small/filler"
expect_exit 0 "$FAMFS" creat --device "$img" -r -S 5 -s 8m data
expect_exit 0 "$FAMFS" cp --device "$img" "$T/src" copy
expect_exit 0 "$FAMFS" verify --device "$img" -S 5 data
expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "2 files"

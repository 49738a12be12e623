#!/usr/bin/env bash
# --size creates a sparse backing file, grows an existing one, and never shrinks it.
source "$(dirname "$0")/common.sh"

expect_exit 1 "$FAMFS" mkfs "$T/new.img"
expect_stderr_contains "famfs mkfs: error: $T/new.img: No such file or directory"
expect_stderr_contains "hint: to make a backing file, give its size"

expect_exit 0 "$FAMFS" mkfs --size 32m "$T/new.img"
[ "$(stat -c %s "$T/new.img")" = 33554432 ] || die "--size 32m"
[ "$(($(stat -c %b "$T/new.img") * 512))" -lt 33554432 ] || die "backing file is not sparse"

expect_exit 0 "$FAMFS" mkfs --force --size 64m "$T/new.img"
[ "$(stat -c %s "$T/new.img")" = 67108864 ] || die "--size 64m did not grow the file"
expect_stdout_contains "Device capacity:        67108864"

expect_exit 0 "$FAMFS" mkfs --force --size 16m "$T/new.img"
[ "$(stat -c %s "$T/new.img")" = 67108864 ] || die "--size shrank the file"

expect_exit 2 "$FAMFS" mkfs --size 1x "$T/other.img"
mkdir "$T/dir"
expect_exit 2 "$FAMFS" mkfs --size 64m "$T/dir"
expect_stderr_contains "--size applies only to regular backing files"

# A device whose size is not a multiple of 2 MiB: the partial allocation unit at its end cannot be
# allocated, so fsck does not count it as free.
expect_exit 0 "$FAMFS" mkfs --size 65m "$T/odd.img"
expect_exit 0 "$FAMFS" fsck "$T/odd.img"
expect_stdout_contains "  Device capacity:        68157440"
expect_stdout_contains "  Bitmap capacity:        67108864"
expect_stdout_contains "  Free space:             56623104"

#!/usr/bin/env bash
# Paths that cannot go into the log are refused with a clear message and exit 2, and nothing is
# logged: 80 bytes or more (79 is fine), absolute with --device, ".." escaping the root, .meta.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
p79=$(printf 'a%.0s' {1..79})
p80=$(printf 'a%.0s' {1..80})

expect_exit 0 "$FAMFS" creat --device "$img" -s 1 "$p79"
expect_exit 2 "$FAMFS" creat --device "$img" -s 1 "$p80"
expect_stderr_contains "famfs creat: error: $p80: path is 80 bytes; famfs paths are at most 79"
expect_exit 2 "$FAMFS" mkdir --device "$img" -p "d/$p79"
expect_stderr_contains "path is 81 bytes"
# The length that counts is the normalised one that goes into the log.
expect_exit 0 "$FAMFS" mkdir --device "$img" "./././x/../${p79:0:70}"
expect_exit 2 "$FAMFS" creat --device "$img" -s 1 /abs
expect_stderr_contains "famfs creat: error: /abs: with --device, paths are relative to the file system root"
expect_stderr_contains "hint: write it as abs"
echo data >"$T/src"
expect_exit 2 "$FAMFS" cp --device "$img" "$T/src" //
expect_stderr_contains "hint: write the root as ."
expect_exit 2 "$FAMFS" creat --device "$img" -s 1 ../up
expect_stderr_contains "../up: path escapes the file system root"
expect_exit 2 "$FAMFS" mkdir --device "$img" -p a/../../b
expect_exit 2 "$FAMFS" creat --device "$img" -s 1 .meta/.log2
expect_stderr_contains ".meta/.log2: .meta is reserved for famfs metadata"
expect_exit 2 "$FAMFS" cp --device "$img" "$FAMFS" ../x
[ "$(nentries "$img")" = 2 ] || die "entries: $(nentries "$img")"
fsck_clean "$img"

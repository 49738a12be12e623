#!/usr/bin/env bash
# Every SIZE is parsed one way (famfs(1), SIZE): "010" is ten bytes, not octal; a value above
# 2^63-1 is the usage error "size too large" (exit 2) whether it wraps 64 bits or not, in creat,
# creat --multi, mkfs --size/--loglen and --chunksize, and nothing is created.
source "$(dirname "$0")/common.sh"

img="$T/dev.img"
mkimg "$img" 64M
expect_exit 0 "$FAMFS" mkfs "$img"

expect_exit 0 "$FAMFS" creat --device "$img" -s 010 ten
expect_exit 0 "$FAMFS" getmap --device "$img" ten
expect_stdout_contains "size:    10"
not grep -qF "size:    8" "$T/out"
expect_exit 0 "$FAMFS" creat --device "$img" -s 0x10 sixteen
expect_exit 0 "$FAMFS" getmap --device "$img" sixteen
expect_stdout_contains "size:    16"

for s in 18446744073709551615 9223372036854775808 18446744073709551616 0x8000000000000000 \
  8388608t 16000000t; do
  expect_exit 2 "$FAMFS" creat --device "$img" -s "$s" big
  expect_stderr_contains "$s: size too large (the largest is 9223372036854775807 bytes)"
  expect_exit 2 "$FAMFS" creat --device "$img" --multi "big,$s"
  expect_stderr_contains "size too large"
  expect_exit 2 "$FAMFS" mkfs --force --loglen "$s" "$img"
  expect_stderr_contains "size too large"
  expect_exit 2 "$FAMFS" creat --device "$img" -N 1 -B 1 -C "$s" -s 4k big
  expect_stderr_contains "size too large"
done
# The largest size parses; it does not fit, which is "device full" (exit 1), not a wrapped size.
expect_exit 1 "$FAMFS" creat --device "$img" -s 9223372036854775807 big
expect_stderr_contains "device full"
expect_stderr_contains "9223372036854775807 bytes need 4398046511104"

for s in 1.5m 4p -1 " 4k" 0x 012a; do
  expect_exit 2 "$FAMFS" creat --device "$img" -s "$s" bad
  expect_stderr_contains "not a size"
done

expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "2 files"

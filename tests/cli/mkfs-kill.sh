#!/usr/bin/env bash
# mkfs --kill --force zeroes the superblock magics (primary and backup) and nothing else; fsck
# then says "not a famfs file system" (exit 8), and a plain mkfs works again.
source "$(dirname "$0")/common.sh"

mkimg "$T/dev.img" 64M
expect_exit 0 "$FAMFS" mkfs "$T/dev.img"
cp --sparse=always "$T/dev.img" "$T/before.img"

expect_exit 0 "$FAMFS" mkfs --kill --force "$T/dev.img"
expect_stdout_contains "killed"

# cmp -l prints 1-based offsets of differing bytes: only bytes 1..8 and 0x1ff001..0x1ff008.
changed=$(cmp -l "$T/before.img" "$T/dev.img" | awk '{print $1}' || true)
[ -n "$changed" ] || die "--kill changed nothing"
for off in $changed; do
  if ! { [ "$off" -ge 1 ] && [ "$off" -le 8 ]; } &&
    ! { [ "$off" -ge $((0x1ff001)) ] && [ "$off" -le $((0x1ff008)) ]; }; then
    die "--kill changed byte $((off - 1))"
  fi
done

expect_exit 8 "$FAMFS" fsck "$T/dev.img"
expect_stderr_contains "famfs fsck: error: $T/dev.img: superblock: not a famfs file system (no superblock magic)"

expect_exit 1 "$FAMFS" mkfs --kill --force "$T/dev.img"
expect_stderr_contains "no famfs superblock to kill"

expect_exit 0 "$FAMFS" mkfs "$T/dev.img"
expect_exit 0 "$FAMFS" fsck "$T/dev.img"

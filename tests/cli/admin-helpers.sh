#!/usr/bin/env bash
# The binary answers to the names mkfs(8) and fsck(8) look for: mkfs.famfs and fsck.famfs (links
# next to it in the build tree, installed in bindir and sbindir), and `mkfs -t famfs DEV` and
# `fsck -t famfs DEV` reach them, with fsck(8)'s exit codes.
source "$(dirname "$0")/common.sh"
bindir=$(dirname "$FAMFS")
for n in mkfs.famfs fsck.famfs mount.famfs mount.fuse.famfs; do
  [ -x "$bindir/$n" ] || die "no $n next to $FAMFS"
done

mkimg "$T/dev.img" 64M
# upstream: mkfs.famfs DEV; mkfs.famfs -f -k DEV
expect_exit 0 "$bindir/mkfs.famfs" "$T/dev.img"
expect_stdout_contains "Famfs Superblock:"
expect_exit 1 "$bindir/mkfs.famfs" "$T/dev.img"
expect_stderr_contains "famfs mkfs: error: "
expect_exit 0 "$bindir/mkfs.famfs" -?
expect_stdout_contains "Usage: famfs mkfs"
# fsck.famfs as fsck(8) calls it: -a and -p check without questions, -n checks only.
for opt in "" -a -p -n; do
  expect_exit 0 "$bindir/fsck.famfs" $opt "$T/dev.img"
  expect_stdout_contains "No allocation errors found"
done
expect_exit 16 "$bindir/fsck.famfs" --nosuch "$T/dev.img"

command -v mkfs >/dev/null && command -v fsck >/dev/null || skip "no mkfs(8) or fsck(8)"
# mkfs(8) and fsck(8) find the helpers on $PATH.
export PATH="$bindir:$PATH"
mkimg "$T/dev2.img" 64M
expect_exit 0 mkfs -t famfs "$T/dev2.img"
expect_exit 0 fsck -t famfs "$T/dev2.img"
expect_stdout_contains "No allocation errors found"
# Damage: fsck(8) passes on fsck.famfs's 4 (errors left uncorrected).
"$FAMFS" creat --device "$T/dev2.img" -s 4k f >/dev/null
printf 'X' | dd of="$T/dev2.img" bs=1 seek=$((0x200000 + 48 + 60)) conv=notrunc status=none
expect_exit 4 fsck -t famfs "$T/dev2.img"
expect_exit 4 fsck -t famfs -a "$T/dev2.img"
# Operational error (no file system): 8.
mkimg "$T/blank.img" 64M
expect_exit 8 fsck -t famfs "$T/blank.img"

#!/bin/bash
# A mount raises its readahead (the kernel starts every FUSE mount at 128 KiB) to 1 MiB, our
# largest READ: the page faults of an mmap of a direct-I/O file, and the reads of a --cache
# mount, are filled with READs of up to 1 MiB. What they read is the file's bytes.
source "$(dirname "$0")/common.sh"
[ "$(id -u)" = 0 ] || skip "the readahead is set in sysfs, as root"

# read_ahead_kb MNT: the readahead of the mount on MNT (its bdi, named by its device number).
read_ahead_kb() {
  local dev
  dev=$(awk -v m="$(realpath "$1")" '$5 == m { d = $3 } END { print d }' /proc/self/mountinfo)
  [ -n "$dev" ] || die "no mount on $1 in /proc/self/mountinfo"
  cat "/sys/class/bdi/$dev/read_ahead_kb"
}

fuse_mkfs "$T/dev.img" 64M
head -c $((5 * 1024 * 1024 + 777)) /dev/urandom >"$T/big"
for mode in "" --cache; do
  famfs_mount "$T/dev.img" "$T/mnt" $mode
  [ "$(read_ahead_kb "$T/mnt")" = 1024 ] || die "mount $mode: readahead $(read_ahead_kb "$T/mnt") KiB"
  [ -e "$T/mnt/big" ] || expect_exit 0 "$FAMFS" cp "$T/big" "$T/mnt/"
  expect_exit 0 "$FAMFS" chkread "$T/mnt/big"
  expect_stdout_contains "read and mmap match ($(stat -c %s "$T/big") bytes)"
  cmp "$T/big" "$T/mnt/big" || die "mount $mode: read differs"
  expect_exit 0 "$FAMFS" umount "$T/mnt"
done

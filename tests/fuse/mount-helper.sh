#!/bin/bash
# mount.famfs (the same binary under mount(8)'s helper name) with mount(8)'s argument convention,
# `mount.famfs SPEC DIR [-sfnv] [-o OPTIONS] [-t TYPE]`, and mount(8)'s exit codes (1 usage,
# 32 mount failure); then `mount -t famfs` and `mount -t fuse.famfs` when /sbin has the helpers
# (mount(8) looks nowhere else), and umount(8).
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "no jq"
helper="$(dirname "$FAMFS")/mount.famfs"
[ -x "$helper" ] || die "no $helper"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt"
mounted() { grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo; }
at_exit "umount '$T/mnt' 2>/dev/null"
json() { "$FAMFS" status --json "$T/mnt" | jq -r ".$1"; }

# What mount(8) runs for the fstab line
#   /dev/... /mnt famfs rw,nofail,_netdev,follow_interval=300 0 0
expect_exit 0 timeout 20 "$helper" "$T/dev.img" "$T/mnt" -o rw,nofail,_netdev,follow_interval=300 -t famfs
mounted || die "not mounted"
[ "$(json follow_interval_ms)" = 300 ] || die "follow_interval: $(json follow_interval_ms)"
[ "$(json writable)" = true ] || die "not writable"
# Already mounted: a mount failure, 32.
expect_exit 32 "$helper" "$T/dev.img" "$T/mnt" -o rw
umount "$T/mnt"
! mounted || die "umount(8) left it mounted"

expect_exit 0 "$helper" -v "$T/dev.img" "$T/mnt" -o ro
[ "$(json writable)" = false ] || die "-o ro: writable"
umount "$T/mnt"
# Bad options: usage, 1; with -s (sloppy) unknown options are ignored.
expect_exit 1 "$helper" "$T/dev.img" "$T/mnt" -o bogus
expect_stderr_contains "-o bogus: unknown mount option"
expect_exit 0 "$helper" "$T/dev.img" "$T/mnt" -s -o bogus,ro
mounted || die "-s: not mounted"
umount "$T/mnt"
# -f (fake): checks the arguments, mounts nothing.
expect_exit 0 "$helper" "$T/dev.img" "$T/mnt" -f -o ro
! mounted || die "-f mounted"
expect_exit 32 "$helper" "$T/missing.img" "$T/mnt"

# mount(8) itself, only when the helpers are installed in /sbin.
command -v mount >/dev/null || exit 0
for type in famfs fuse.famfs; do
  if [ ! -e "/sbin/mount.$type" ]; then
    echo "note: /sbin/mount.$type not installed; mount -t $type not tested" >&2
    continue
  fi
  expect_exit 0 mount -t "$type" -o ro "$T/dev.img" "$T/mnt"
  [ "$(json writable)" = false ] || die "mount -t $type -o ro: writable"
  umount "$T/mnt"
done

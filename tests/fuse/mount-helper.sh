#!/bin/bash
# mount.famfs (the same binary under mount(8)'s helper name) with mount(8)'s argument convention,
# `mount.famfs SPEC DIR [-sfnv] [-o OPTIONS] [-t TYPE]`, and mount(8)'s exit codes (1 usage,
# 32 mount failure); then mount(8) itself: `mount -t famfs`, `mount -t fuse.famfs` and an fstab line
# (through a private mount namespace, see below), and umount(8).
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

# mount(8) itself. It runs helpers only from /sbin (util-linux's fixed search path), so this part
# runs in a private mount namespace (unshare -m) where a read-only overlay puts mount.famfs and
# mount.fuse.famfs, links to this build's binary, over the real /sbin: the host's /sbin is never
# touched, and other tests running at the same time see nothing. The fstab line goes through
# mount -T (another fstab file).
command -v mount >/dev/null && command -v unshare >/dev/null || skip "no mount(8) or unshare(1)"
mkdir "$T/sbin"
for type in famfs fuse.famfs; do
  ln -s "$(realpath "$FAMFS")" "$T/sbin/mount.$type"
done
printf '%s %s famfs ro,noauto,nofail,follow_interval=250 0 0\n' "$T/dev.img" "$(realpath "$T/mnt")" \
  >"$T/fstab"
cat >"$T/mount8.sh" <<'INNER'
set -e
# A failure must not leave a mount (and its daemon) in this namespace, out of the test's reach.
trap 'umount "$T/mnt" 2>/dev/null || true' EXIT
sbin="$(realpath /sbin)"
mount -t overlay overlay -o "lowerdir=$T/sbin:$sbin" "$sbin"
json() { "$FAMFS" status --json "$T/mnt" | jq -r ".$1"; }
for type in famfs fuse.famfs; do
  mount -t "$type" -o ro "$T/dev.img" "$T/mnt"
  [ "$(json writable)" = false ] || { echo "mount -t $type -o ro: writable" >&2; exit 1; }
  umount "$T/mnt"
done
mount -t famfs "$T/dev.img" "$T/mnt"
[ "$(json writable)" = true ] || { echo "mount -t famfs: not writable" >&2; exit 1; }
umount "$T/mnt"
# The fstab line: mount MNT finds the device, type and options there.
mount -T "$T/fstab" "$T/mnt"
[ "$(json follow_interval_ms)" = 250 ] || { echo "fstab: follow_interval $(json follow_interval_ms)" >&2; exit 1; }
[ "$(json writable)" = false ] || { echo "fstab ro: writable" >&2; exit 1; }
umount "$T/mnt"
# mount(8) reports the helper's failure: a device that is not there.
if mount -t famfs "$T/missing.img" "$T/mnt" 2>"$T/mount8.err"; then
  echo "mount -t famfs of a missing device succeeded" >&2
  exit 1
fi
grep -qF "missing.img" "$T/mount8.err" || { cat "$T/mount8.err" >&2; exit 1; }
INNER
export T FAMFS
expect_exit 0 unshare -m --propagation private bash "$T/mount8.sh"
! mounted || die "mount(8) left a mount behind"

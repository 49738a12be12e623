#!/bin/bash
# famfs mount with upstream famfs's spellings (src/famfs_cli.c): -f is --fuse (it returns once
# mounted; it used to be --foreground here and blocked forever), --fuse, -r and -m are accepted,
# -F/--nofuse is refused; and -o OPTS as mount(8) and fstab write them.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt"
mounted() { grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo; }
unmount() { "$FAMFS" umount "$T/mnt" >/dev/null; ! mounted || die "still mounted"; }
at_exit "umount '$T/mnt' 2>/dev/null"
# json KEY: a member of famfs status --json of the mount.
json() { "$FAMFS" status --json "$T/mnt" | jq -r ".$1"; }
command -v jq >/dev/null || skip "no jq"

# upstream: famfs mount -f DEV MNT; famfs mount --fuse DEV MNT; famfs mount -r / -m DEV MNT
for opts in "-f" "--fuse" "-r" "-m" "-f -m"; do
  # shellcheck disable=SC2086
  expect_exit 0 timeout 20 "$FAMFS" mount $opts "$T/dev.img" "$T/mnt"
  mounted || die "mount $opts: not mounted"
  [ "$(json writable)" = true ] || die "mount $opts: not writable on the master"
  unmount
done
expect_exit 2 "$FAMFS" mount -r -m "$T/dev.img" "$T/mnt"
# upstream: famfs mount -F DEV MNT (the v1 kernel module): refused, nothing mounted.
expect_exit 1 timeout 20 "$FAMFS" mount -F "$T/dev.img" "$T/mnt"
expect_stderr_contains "famfs mount: error: --nofuse: the famfs v1 kernel module is not supported"
expect_stderr_contains "--foreground"
expect_exit 1 "$FAMFS" mount --nofuse "$T/dev.img" "$T/mnt"
! mounted || die "mounted after --nofuse"

# -o: ours (ro, follow_interval=MS, threads=N, ...) and mount(8)'s generic ones, which are ignored.
expect_exit 0 "$FAMFS" mount "$T/dev.img" "$T/mnt" -o ro,follow_interval=700,threads=2
[ "$(json writable)" = false ] || die "-o ro: writable"
[ "$(json follow_interval_ms)" = 700 ] || die "-o follow_interval=700: $(json follow_interval_ms)"
unmount
expect_exit 0 "$FAMFS" mount -o rw,defaults,nofail,_netdev,noauto,user,noatime,x-systemd.automount \
  -o follow-interval=0 "$T/dev.img" "$T/mnt"
[ "$(json writable)" = true ] || die "-o rw,...: not writable"
[ "$(json follow_interval_ms)" = 0 ] || die "-o follow-interval=0"
unmount
expect_exit 2 "$FAMFS" mount -o ro,bogus "$T/dev.img" "$T/mnt"
expect_stderr_contains "famfs mount: error: -o bogus: unknown mount option"
expect_exit 2 "$FAMFS" mount -o threads=0 "$T/dev.img" "$T/mnt"
expect_stderr_contains "-o threads=0: out of range (1 to 64)"
expect_exit 2 "$FAMFS" mount -o follow_interval "$T/dev.img" "$T/mnt"
expect_exit 2 "$FAMFS" mount -o ro=1 "$T/dev.img" "$T/mnt"
expect_exit 2 "$FAMFS" mount -o ro,writable "$T/dev.img" "$T/mnt"
! mounted || die "mounted after bad -o"

#!/bin/bash
# One mount per device per host, keyed on the device's identity and taken atomically (issue 16):
# a hard link to the image is the same device (for mkfs too), and several `famfs mount` of one image started at
# once make exactly one mount; the others exit 1 saying where the device is mounted.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
ln -f "$T/dev.img" "$T/link.img"
mkdir -p "$T/m1" "$T/m2"
famfs_mount "$T/dev.img" "$T/m1"
expect_exit 1 "$FAMFS" mount "$T/link.img" "$T/m2"
expect_stderr_contains "famfs mount: error: $T/link.img: already mounted on $(realpath "$T/m1") by this host"
expect_stderr_contains "hint: famfs umount $(realpath "$T/m1")"
[ "$(wc -l <"$T/err")" -eq 2 ] || die "not one error line and a hint: $(cat "$T/err")"
! grep -qF " $(realpath "$T/m2") " /proc/self/mountinfo || die "the hard link mounted a second time"
# mkfs and fsck --repair know the device through the hard link too.
expect_exit 1 "$FAMFS" mkfs --force "$T/link.img"
expect_stderr_contains "famfs mkfs: error: $T/link.img: device is mounted on $(realpath "$T/m1")"
"$FAMFS" umount "$T/m1"

# The race: rounds of 4 mounts (two through the hard link) started at once.
for round in 1 2 3; do
  pids=()
  for i in 1 2 3 4; do
    mkdir -p "$T/r$i"
    img="$T/dev.img"
    [ $((i % 2)) -eq 0 ] && img="$T/link.img"
    at_exit "umount -l '$T/r$i' 2>/dev/null"
    "$FAMFS" mount "$img" "$T/r$i" >"$T/out$i" 2>"$T/err$i" &
    pids+=($!)
  done
  won=0
  for i in 1 2 3 4; do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    if [ "$rc" -eq 0 ]; then
      won=$((won + 1))
      winner=$i
    else
      [ "$rc" -eq 1 ] || die "round $round: mount $i exited $rc: $(cat "$T/err$i")"
      grep -qE "already mounted on|another mount of this device is starting" "$T/err$i" \
        || die "round $round: mount $i: $(cat "$T/err$i")"
    fi
  done
  [ "$won" -eq 1 ] || die "round $round: $won mounts won"
  for i in 1 2 3 4; do
    if [ "$i" -ne "$winner" ] && grep -qF " $(realpath "$T/r$i") " /proc/self/mountinfo; then
      die "round $round: $T/r$i is mounted too"
    fi
  done
  expect_exit 0 "$FAMFS" umount "$T/r$winner"
done

#!/usr/bin/env bash
# A file or directory made by creat, mkdir or cp is visible in the mount as soon as the command
# returns, even right after a lookup of the same name failed and the parent was listed.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
M="$T/mnt"
famfs_mount "$T/dev.img" "$M"
echo data >"$T/src"
for i in 1 2 3 4 5 6 7 8 9 10; do
  ls "$M" >/dev/null
  ! stat "$M/f$i" 2>/dev/null || die "f$i exists too early"
  "$FAMFS" creat -s 4k "$M/f$i"
  [ -f "$M/f$i" ] || die "f$i not visible at once"
  ! stat "$M/d$i" 2>/dev/null || die "d$i exists too early"
  "$FAMFS" mkdir "$M/d$i"
  [ -d "$M/d$i" ] || die "d$i not visible at once"
  ls "$M/d$i" >/dev/null
  "$FAMFS" cp "$T/src" "$M/d$i/"
  [ "$(cat "$M/d$i/src")" = data ] || die "d$i/src not visible at once"
done
[ "$(ls "$M" | wc -l)" = 20 ] || die "listing: $(ls "$M")"

#!/bin/bash
# SIGTERM (and SIGINT) to the daemon unmount the file system cleanly and the daemon exits 0.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt"
for sig in TERM INT; do
  "$FAMFS" mount "$T/dev.img" "$T/mnt"
  pid=$(cat "$T/run/"*.pid)
  ls "$T/mnt/.meta" >/dev/null
  kill -$sig "$pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  ! kill -0 "$pid" 2>/dev/null || die "daemon still running after SIG$sig"
  ! grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo || die "still mounted after SIG$sig"
  grep -q "signal .*: unmounting" "$T/run/"*.log || die "no trace of the signal"
  [ -z "$(ls -A "$T/mnt")" ] || die "mount point not empty"
done
# The foreground daemon too; its exit status is 0.
"$FAMFS" mount --foreground "$T/dev.img" "$T/mnt" 2>"$T/fg.log" &
fg=$!
for ((i = 0; i < 100; i++)); do
  grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo && break
  sleep 0.1
done
stat "$T/mnt/.meta" >/dev/null
kill -TERM $fg
rc=0
wait $fg || rc=$?
[ $rc -eq 0 ] || { cat "$T/fg.log" >&2; die "foreground daemon exited $rc"; }
! grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo || die "still mounted"

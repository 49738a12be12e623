#!/bin/bash
# A log entry naming something inside .meta (which the writer refuses, but another writer could
# put in the log) is reported by fsck as path_reserved, refused by logplay's replay, and not
# served by the mount: .meta holds only famfs's own files (log/path.hpp).
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$TT" file "$T/dev.img" .meta/evil 10 0644 0 0 simple $DATA0+$AU
"$TT" mkdir "$T/dev.img" .meta/d
"$TT" file "$T/dev.img" ok 10 0644 0 0 simple $((DATA0 + AU))+$AU

expect_exit 4 "$FAMFS" fsck "$T/dev.img"
grep -qF "log entry 0: .meta/evil: .meta is reserved for famfs metadata" "$T/out" "$T/err" \
  || die "fsck does not call .meta/evil reserved"
grep -qF "log entry 1: .meta/d: .meta is reserved for famfs metadata" "$T/out" "$T/err" \
  || die "fsck does not call .meta/d reserved"

expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
grep -qF ".meta/evil: .meta is reserved for famfs metadata" "$T/out" "$T/err" \
  || die "logplay does not report .meta/evil"

famfs_mount "$T/dev.img" "$T/mnt"
[ "$(ls -A "$T/mnt/.meta" | tr '\n' ' ')" = ".log .superblock " ] \
  || die ".meta holds: $(ls -A "$T/mnt/.meta")"
[ ! -e "$T/mnt/.meta/evil" ] || die "the mount serves .meta/evil"
[ ! -e "$T/mnt/.meta/d" ] || die "the mount serves .meta/d"
[ "$(stat -c %s "$T/mnt/ok")" = 10 ] || die "the sound entry is not served"
grep -qF ".meta/evil: .meta is reserved" "$T/fuse.log" || die "daemon trace lacks the reason"

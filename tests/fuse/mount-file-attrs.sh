#!/bin/bash
# Files and directories put in the log appear with their size, mode, uid and gid.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$TT" mkdir "$T/dev.img" dir 0750 12 34
"$TT" mkdir "$T/dev.img" dir/sub
"$TT" file "$T/dev.img" dir/a 4097 0640 1001 2002 simple $DATA0+$AU
"$TT" file "$T/dev.img" dir/sub/b $((3 * AU)) 0600 7 8 \
  simple $((DATA0 + AU))+$AU,$((DATA0 + 3 * AU))+$((2 * AU))
"$TT" file "$T/dev.img" top 1 0444 0 0 simple $((DATA0 + 5 * AU))+$AU
famfs_mount "$T/dev.img" "$T/mnt"

check() { # path type size mode uid gid
  local got
  got=$(stat -c '%F %s %a %u %g' "$T/mnt/$1")
  [ "$got" = "$2 $3 $4 $5 $6" ] || die "$1: got '$got', want '$2 $3 $4 $5 $6'"
}
check dir directory 4096 750 12 34
check dir/sub directory 4096 755 0 0
check dir/a "regular file" 4097 640 1001 2002
check dir/sub/b "regular file" $((3 * AU)) 600 7 8
check top "regular file" 1 444 0 0
[ "$(ls "$T/mnt")" = "$(printf 'dir\ntop')" ] || die "root listing: $(ls "$T/mnt")"
[ "$(ls "$T/mnt/dir")" = "$(printf 'a\nsub')" ] || die "dir listing"
[ "$(stat -c %h "$T/mnt/dir")" = 3 ] || die "dir nlink (2 + one subdirectory)"
# Attribute changes cannot be kept (no log entry for them): refused, nothing changes.
expect_eperm chmod 0604 "$T/mnt/dir/a"
expect_eperm chown 5:6 "$T/mnt/dir/a"
check dir/a "regular file" 4097 640 1001 2002

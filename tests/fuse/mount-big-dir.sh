#!/bin/bash
# 10,000 files in one directory list completely and in order, and stat correctly.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 20G
"$TT" bulk "$T/dev.img" big 10000 $DATA0
famfs_mount "$T/dev.img" "$T/mnt"
ls "$T/mnt/big" >"$T/list"
[ "$(wc -l <"$T/list")" = 10000 ] || die "listed $(wc -l <"$T/list") files"
for ((i = 0; i < 10000; i++)); do printf 'f%05d\n' $i; done >"$T/want"
cmp "$T/list" "$T/want" || die "listing differs"
find "$T/mnt/big" -type f | wc -l | grep -qx 10000 || die "find count"
[ "$(stat -c %s "$T/mnt/big/f09999")" = 4096 ] || die "size of f09999"
[ "$(ls -l "$T/mnt/big" | grep -c '^-rw-r--r-- 1 root root 4096 ')" = 10000 ] || die "ls -l"

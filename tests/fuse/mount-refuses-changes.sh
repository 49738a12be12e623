#!/bin/bash
# The namespace and file sizes change only through the log: truncate, creating files (touch,
# cp, O_CREAT), rm, mv, ln, ln -s, mkfifo, mkdir and rmdir on the mount all fail with EPERM.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$TT" mkdir "$T/dev.img" d
"$TT" file "$T/dev.img" d/f 4096 0644 0 0 simple $DATA0+$AU
famfs_mount "$T/dev.img" "$T/mnt"
m="$T/mnt"

expect_eperm truncate -s 0 "$m/d/f"
expect_eperm truncate -s 1M "$m/d/f"
expect_eperm bash -c ": >'$m/d/f'" # O_TRUNC
expect_eperm touch "$m/d/new"
expect_eperm cp /etc/hostname "$m/d/new"
expect_eperm rm "$m/d/f"
expect_eperm mv "$m/d/f" "$m/d/g"
expect_eperm ln "$m/d/f" "$m/d/g"
expect_eperm ln -s f "$m/d/g"
expect_eperm mkfifo "$m/d/fifo"
expect_eperm mkdir "$m/d/sub"
expect_eperm rmdir "$m/d"
[ "$(ls "$m/d")" = f ] || die "directory changed: $(ls "$m/d")"
[ "$(stat -c %s "$m/d/f")" = 4096 ] || die "size changed"
# touch of an existing file only sets times: allowed.
touch "$m/d/f"

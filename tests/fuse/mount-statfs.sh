#!/bin/bash
# statfs reports real totals in allocation units: blocks of 2 MiB, the device's AUs in total,
# free = AUs not under the superblock, the log or any file; inodes free = log slots left.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M # 32 AUs; superblock + 8 MiB log take 5
"$TT" file "$T/dev.img" a 100 0644 0 0 simple $DATA0+$AU
"$TT" file "$T/dev.img" b $((2 * AU)) 0644 0 0 simple $((DATA0 + AU))+$((2 * AU))
famfs_mount "$T/dev.img" "$T/mnt"
read -r bsize blocks bfree bavail ffree < <(stat -f -c '%S %b %f %a %d' "$T/mnt")
[ "$bsize" = $AU ] || die "block size $bsize"
[ "$blocks" = 32 ] || die "total blocks $blocks"
[ "$bfree" = 24 ] || die "free blocks $bfree (want 32 - 5 - 3)"
[ "$bavail" = 24 ] || die "available blocks $bavail"
[ "$ffree" = $((15420 - 2)) ] || die "free inodes $ffree"
df -B 2M "$T/mnt" | grep -q " 32 *8 *24 " || { df -B 2M "$T/mnt" >&2; die "df"; }
# A file that shares AU 0 with 'a' is not counted twice.
"$TT" file "$T/dev.img" c 100 0644 0 0 simple $DATA0+$AU
stat "$T/mnt/c" >/dev/null
[ "$(stat -f -c %f "$T/mnt")" = 24 ] || die "shared AU counted twice"
# famfs status prints the capacity in bytes, or with -H in the short form; JSON keeps bytes.
"$FAMFS" status "$T/mnt" >"$T/status.txt"
grep -qx 'capacity: *67108864 bytes (64 MiB)' "$T/status.txt" || die "status: $(cat "$T/status.txt")"
"$FAMFS" status -H "$T/mnt" >"$T/status.txt"
grep -qx 'capacity: *64M' "$T/status.txt" || die "status -H: $(cat "$T/status.txt")"
[ "$("$FAMFS" status --human --json "$T/mnt" | jq .capacity_bytes)" = 67108864 ] || die "status -H --json"

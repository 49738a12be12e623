#!/bin/bash
# 8 parallel readers (threads of one process, and 8 processes) get correct data.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 128M
"$TT" file "$T/dev.img" a $((8 * AU)) 0644 0 0 simple $DATA0+$((8 * AU))
"$TT" file "$T/dev.img" b $((6 * AU - 3)) 0644 0 0 \
  interleave $((128 * 1024)) $((DATA0 + 8 * AU))+$((2 * AU)),$((DATA0 + 10 * AU))+$((2 * AU)),$((DATA0 + 12 * AU))+$((2 * AU))
head -c $((14 * AU)) /dev/urandom >"$T/rand"
putbytes "$T/dev.img" $DATA0 "$T/rand"
famfs_mount "$T/dev.img" "$T/mnt"
# References from the device (a: one extent; b: chunk c of 128 KiB in strip c%3 at (c/3)*128K).
devbytes "$T/dev.img" $DATA0 $((8 * AU)) >"$T/ref_a"
: >"$T/ref_b"
for ((c = 0; c < 96; c++)); do
  devbytes "$T/dev.img" $((DATA0 + (8 + 2 * (c % 3)) * AU + (c / 3) * 131072)) 131072 >>"$T/ref_b"
done
truncate -s $((6 * AU - 3)) "$T/ref_b"

"$TT" parallel-read "$T/mnt/a" "$T/ref_a" 8 300
"$TT" parallel-read "$T/mnt/b" "$T/ref_b" 8 300
pids=()
for i in 1 2 3 4 5 6 7 8; do
  if ((i % 2)); then cmp "$T/mnt/a" "$T/ref_a" & else cmp "$T/mnt/b" "$T/ref_b" & fi
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "a parallel reader saw wrong data"; done

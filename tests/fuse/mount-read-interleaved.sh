#!/bin/bash
# A file with an interleaved map reads back as its strips' bytes in chunk order, sequentially and
# with random preads across chunk and strip boundaries.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
# 3 strips of 2 AUs (at AUs 4-5, 0-1, 2-3 of the data area), chunk 512 KiB: 24 chunks.
chunk=$((512 * 1024))
s0=$((DATA0 + 4 * AU)) s1=$DATA0 s2=$((DATA0 + 2 * AU))
size=$((6 * AU - 777))
"$TT" file "$T/dev.img" stripes $size 0644 0 0 \
  interleave $chunk $s0+$((2 * AU)),$s1+$((2 * AU)),$s2+$((2 * AU))
# Build the reference chunk by chunk: chunk c goes to strip c%3 at (c/3)*chunk.
head -c $((6 * AU)) /dev/urandom >"$T/all"
strips=($s0 $s1 $s2)
for ((c = 0; c < 24; c++)); do
  putbytes "$T/dev.img" $((strips[c % 3] + (c / 3) * chunk)) \
    <(tail -c +$((c * chunk + 1)) "$T/all" | head -c $chunk)
done
head -c $size "$T/all" >"$T/ref"

famfs_mount "$T/dev.img" "$T/mnt"
cmp "$T/ref" "$T/mnt/stripes" || die "interleaved file differs from the device bytes"
dd if="$T/mnt/stripes" bs=1M status=none | cmp - "$T/ref" || die "1 MiB reads differ"
"$TT" pread-check "$T/mnt/stripes" "$T/ref" 3000 2
[ "$("$TT" getxattr "$T/mnt/stripes" user.famfs.fmap)" = \
  "interleaved chunk 0x80000 strips $(printf '%#x' $s0)+0x400000,$(printf '%#x' $s1)+0x400000,$(printf '%#x' $s2)+0x400000" ] \
  || die "fmap xattr: $("$TT" getxattr "$T/mnt/stripes" user.famfs.fmap)"

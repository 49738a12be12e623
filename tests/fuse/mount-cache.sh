#!/bin/bash
# Page-cache mode (famfs mount -o cache): reads and mmap come through the kernel's page cache
# and are correct; status says so; a write through the mount is seen by the next read (and is on
# the device); a write behind the mount's back (straight into the device) stays hidden by the
# cached pages until famfs flush drops them. Without -o cache the same write is seen at once.
source "$(dirname "$0")/common.sh"

# mmap_cat FILE: FILE's bytes read through a shared read-only mapping, to stdout.
mmap_cat() {
  python3 -c 'import mmap, sys
with open(sys.argv[1], "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:
    sys.stdout.buffer.write(m[:])' "$1"
}

fuse_mkfs "$T/dev.img" 64M
size=$((2 * AU + 5000))
"$TT" file "$T/dev.img" f $size 0644 0 0 simple $((DATA0 + 2 * AU))+$((2 * AU)),$DATA0+$AU
head -c $((3 * AU)) /dev/urandom >"$T/all"
putbytes "$T/dev.img" $((DATA0 + 2 * AU)) <(head -c $((2 * AU)) "$T/all")
putbytes "$T/dev.img" $DATA0 <(tail -c +$((2 * AU + 1)) "$T/all")
head -c $size "$T/all" >"$T/ref"

famfs_mount "$T/dev.img" "$T/mnt" -o cache
"$FAMFS" status "$T/mnt" >"$T/status" || die "status: $(cat "$T/status")"
grep -q "^cache: *page cache" "$T/status" || die "status does not show the cache mode: $(cat "$T/status")"
"$FAMFS" status --json "$T/mnt" | jq -e '.page_cache == true' >/dev/null || die "json page_cache"
grep -q "page-cached" "$T/fuse.log" || die "mount does not say the data is page-cached"

# Reads: whole file, odd sizes, random preads, and a shared mapping.
cmp "$T/ref" "$T/mnt/f" || die "read through the page cache differs"
dd if="$T/mnt/f" bs=4099 status=none | cmp - "$T/ref" || die "odd-sized reads differ"
"$TT" pread-check "$T/mnt/f" "$T/ref" 2000 1
mmap_cat "$T/mnt/f" | cmp - "$T/ref" || die "mmap read differs"

# A write through the mount (across the extent boundary at 2 AU) is seen by the next read and
# lands on the device.
head -c 8192 /dev/urandom >"$T/w1"
dd if="$T/w1" of="$T/mnt/f" bs=8192 seek=$((2 * AU - 4096)) oflag=seek_bytes conv=notrunc \
  status=none
dd if="$T/w1" of="$T/ref" bs=8192 seek=$((2 * AU - 4096)) oflag=seek_bytes conv=notrunc status=none
cmp "$T/ref" "$T/mnt/f" || die "a write through the mount is not seen by a read"
cmp <(devbytes "$T/dev.img" $DATA0 4096) <(tail -c 4096 "$T/w1") || die "the write is not on the device"

# A write behind the mount's back: the cached pages still show the old bytes (the cache is in
# use), until famfs flush of the file drops them.
head -c 4096 /dev/urandom >"$T/w2"
putbytes "$T/dev.img" $((DATA0 + 2 * AU + 8192)) "$T/w2"
cmp <(dd if="$T/mnt/f" bs=4096 skip=2 count=1 status=none) <(head -c 4096 -- "$T/w2") >/dev/null 2>&1 \
  && die "a write behind the mount's back was seen before the flush: nothing is cached"
"$FAMFS" flush -v "$T/mnt/f" >"$T/flush.out" || die "flush: $(cat "$T/flush.out")"
grep -q "cached pages dropped" "$T/flush.out" || die "flush did not drop the pages: $(cat "$T/flush.out")"
dd if="$T/w2" of="$T/ref" bs=4096 seek=2 conv=notrunc status=none
cmp "$T/ref" "$T/mnt/f" || die "after famfs flush, reads still show the old bytes"
mmap_cat "$T/mnt/f" | cmp - "$T/ref" || die "mmap read after flush differs"
"$FAMFS" umount "$T/mnt" >/dev/null

# The default mode caches nothing: the same kind of write is seen at once, and flush says so.
famfs_mount "$T/dev.img" "$T/mnt2"
cmp "$T/ref" "$T/mnt2/f" || die "direct-I/O read differs"
"$FAMFS" status "$T/mnt2" | grep -q "^cache: *none" || die "status of a default mount"
head -c 4096 /dev/urandom >"$T/w3"
putbytes "$T/dev.img" $((DATA0 + 2 * AU + 8192)) "$T/w3"
cmp <(dd if="$T/mnt2/f" bs=4096 skip=2 count=1 status=none) "$T/w3" || die "direct I/O served stale bytes"
"$FAMFS" flush -v "$T/mnt2/f" >"$T/flush.out" || die "flush: $(cat "$T/flush.out")"
grep -q "cached pages dropped" "$T/flush.out" && die "flush of an uncached mount claims to drop pages"
true

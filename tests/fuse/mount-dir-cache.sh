#!/bin/bash
# The kernel keeps directory listings (FOPEN_CACHE_DIR), and they stay coherent with the log: a
# listing taken again costs no READDIR request, and a name that another process appends to the
# log shows in the next listing at once, without remounting: the CLI on the device, a second
# host's mount through the master, appends racing with listings. A directory that gains a name
# gets a new mtime. With --follow-interval 0 a listing changes only after famfs logplay.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 512M
"$TT" bulk "$T/dev.img" d 20 $DATA0 # d/f00000 ... d/f00019
famfs_mount "$T/dev.img" "$T/m" -vv # -vv: trace every request
count() { grep -c " $1 unique " "$T/fuse.log" || true; }
listings() { echo $(($(count READDIR) + $(count READDIRPLUS))); }

# Cached: the second listing (and ls -l of it) asks for no listing and looks nothing up.
ls -la "$T/m/d" >"$T/l1"
[ "$(grep -c ' f000' "$T/l1")" = 20 ] || die "first listing: $(cat "$T/l1")"
r=$(listings) && l=$(count LOOKUP)
ls -la "$T/m/d" >"$T/l2"
diff "$T/l1" "$T/l2" >&2 || die "the second listing differs"
[ "$(listings)" = "$r" ] || die "the second listing asked the daemon: $(($(listings) - r)) READDIR(PLUS)"
[ "$(count LOOKUP)" = "$l" ] || die "the second listing looked names up"

# The CLI on the device appends (this host's master log writer, not this mount): the very next
# listing shows the file, and d has a new mtime.
mtime=$(stat -c %y "$T/m/d")
"$FAMFS" creat --device "$T/dev.img" -s 4096 d/cli-made >/dev/null
ls "$T/m/d" >"$T/l3"
grep -qx cli-made "$T/l3" || die "a file made by the CLI on the device is not listed"
[ "$(wc -l <"$T/l3")" = 21 ] || die "listing after the append: $(cat "$T/l3")"
[ "$(stat -c %y "$T/m/d")" != "$mtime" ] || die "d kept its mtime ($mtime) after gaining a name"
[ "$(listings)" -gt "$r" ] || die "the listing after the append was not asked of the daemon"
# ... and stays cached after that.
r=$(listings)
ls "$T/m/d" | diff "$T/l3" - >&2 || die "the listing changed with no append"
[ "$(listings)" = "$r" ] || die "the listing after the append was not cached again"

# A second host: its client mount lists d; the master mount makes a file and a directory; the
# client's next listings show them (no remount, no command on the client).
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b"
ls "$T/b/d" >"$T/b1"
ls "$T/b" >"$T/b1root"
"$FAMFS" creat -s 8192 "$T/m/d/master-made" >/dev/null
"$FAMFS" mkdir "$T/m/newdir"
ls "$T/b/d" >"$T/b2"
ls "$T/b" >"$T/b2root"
! diff -q "$T/b1" "$T/b2" >/dev/null || die "the client's listing of d did not change"
grep -qx master-made "$T/b2" || die "the client does not list d/master-made"
grep -qx newdir "$T/b2root" || die "the client does not list newdir: $(cat "$T/b2root")"
[ "$(stat -c %h "$T/b")" = 5 ] || die "the client's root nlink is $(stat -c %h "$T/b"), not 2 + 3 subdirectories"

# Appends racing with listings: whatever a listing met meanwhile, one taken after the last
# append has every name (a cached listing older than the tree is never served).
(
  for ((i = 0; i < 60; i++)); do
    "$TT" file "$T/dev.img" "d/race$i" 1 0644 0 0 simple $((DATA0 + (100 + i) * AU))+$AU
  done
) &
appender=$!
while kill -0 "$appender" 2>/dev/null; do
  ls "$T/m/d" >/dev/null
  ls "$T/b/d" >/dev/null
done
wait "$appender" || die "the appender failed"
for mnt in m b; do
  n=$(ls "$T/$mnt/d" | grep -c '^race')
  [ "$n" = 60 ] || die "$mnt lists $n of the 60 names appended while it listed"
done

# A frozen mount (--follow-interval 0) keeps its listing until famfs logplay.
umount "$T/b"
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b" --follow-interval 0
ls "$T/b/d" >"$T/f1"
"$TT" file "$T/dev.img" d/frozen 1 0644 0 0 simple $((DATA0 + 200 * AU))+$AU
ls "$T/b/d" | diff "$T/f1" - >&2 || die "a frozen mount's listing changed without logplay"
"$FAMFS" logplay "$T/b" >/dev/null
ls "$T/b/d" | grep -qx frozen || die "after logplay the frozen mount does not list d/frozen"

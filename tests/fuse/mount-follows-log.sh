#!/bin/bash
# Entries appended to the log while mounted show up with no command: a new file, a new
# directory, and a file inside a directory that was already listed.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$TT" mkdir "$T/dev.img" d
famfs_mount "$T/dev.img" "$T/mnt" -v # -v: trace each applied entry
[ -z "$(ls "$T/mnt/d")" ] || die "d not empty"
! stat "$T/mnt/new" 2>/dev/null || die "new exists too early"

"$TT" file "$T/dev.img" new 5000 0644 0 0 simple $DATA0+$AU
"$TT" mkdir "$T/dev.img" d/e
"$TT" file "$T/dev.img" d/e/x 1 0644 0 0 simple $((DATA0 + AU))+$AU
# Looked up by name right away (negative lookups are not cached)...
[ "$(stat -c %s "$T/mnt/new")" = 5000 ] || die "new file not visible"
[ "$(stat -c %s "$T/mnt/d/e/x")" = 1 ] || die "d/e/x not visible"
# ... and listed (opening a directory catches up first, and drops a cached listing).
[ "$(ls "$T/mnt/d")" = e ] || die "listing of d: $(ls "$T/mnt/d")"

# Without any request naming it, the daemon's timer applies the entry (its trace says so; statfs,
# which looks nothing up, then counts it).
before=$(stat -f -c %d "$T/mnt") # free inodes = free log slots
"$TT" file "$T/dev.img" later 1 0644 0 0 simple $((DATA0 + 2 * AU))+$AU
for ((i = 0; i < 50; i++)); do
  if grep -q "log: later" "$T/fuse.log" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
grep -q "log: later" "$T/fuse.log" || die "the daemon did not pick up 'later' by itself"
[ "$(stat -f -c %d "$T/mnt")" = $((before - 1)) ] || die "free slots did not drop by one"

#!/bin/bash
# `ls -l` of a directory the kernel has already seen costs no request per file: names and
# attributes stay cached (long entry/attribute timeouts), and security.* / system.* xattrs are
# answered "not supported", which ls remembers for the whole device (with ENODATA it asked
# twice per file). A subdirectory added through the log still shows in its parent's nlink
# (the daemon tells the kernel to drop the parent's cached attributes).
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 1G
"$TT" bulk "$T/dev.img" d 200 $DATA0
famfs_mount "$T/dev.img" "$T/mnt" -vv # -vv: trace every request
ls -l "$T/mnt/d" >/dev/null # names and attributes into the kernel's caches

count() { grep -c " $1 unique " "$T/fuse.log" || true; }
getx=$(count GETXATTR)
look=$(count LOOKUP)
gattr=$(count GETATTR)
ls -l "$T/mnt/d" >"$T/list"
[ "$(grep -c '^-' "$T/list")" = 200 ] || die "ls -l listed $(grep -c '^-' "$T/list") files"
getx=$(($(count GETXATTR) - getx))
look=$(($(count LOOKUP) - look))
gattr=$(($(count GETATTR) - gattr))
echo "second ls -l of 200 files: $getx GETXATTR, $look LOOKUP, $gattr GETATTR"
[ "$getx" -le 4 ] || die "$getx GETXATTR requests for one ls -l of 200 files"
[ "$look" -eq 0 ] || die "$look LOOKUP requests: entries were not cached"
[ "$gattr" -le 2 ] || die "$gattr GETATTR requests: attributes were not cached"

# The errno behind it, through the kernel: EOPNOTSUPP for security.* and system.*, ENODATA for
# an absent user.* name, and our own names still served.
f="$T/mnt/d/f00000"
expect_exit 1 "$TT" getxattr "$f" security.selinux
expect_stderr_contains "Operation not supported"
expect_exit 1 "$TT" getxattr "$f" system.posix_acl_access
expect_stderr_contains "Operation not supported"
expect_exit 1 "$TT" getxattr "$f" user.nothing
expect_stderr_contains "No data available"
"$TT" getxattr "$f" user.famfs.fmap | grep -q '^simple ' || die "user.famfs.fmap not served"
"$TT" getxattr "$T/mnt" user.famfs.status | grep -qx 'healthy=yes' || die "status not served"

# nlink of d and of the root: cached now, then a subdirectory appears through the log.
[ "$(stat -c %h "$T/mnt/d")" = 2 ] || die "d nlink before"
[ "$(stat -c %h "$T/mnt")" = 4 ] || die "root nlink before (., .meta, d)"
"$TT" mkdir "$T/dev.img" d/sub
"$TT" mkdir "$T/dev.img" top
for ((i = 0; i < 50; i++)); do
  [ "$(stat -c %h "$T/mnt/d")" = 3 ] && [ "$(stat -c %h "$T/mnt")" = 5 ] && break
  sleep 0.1
done
[ "$(stat -c %h "$T/mnt/d")" = 3 ] || die "d nlink stayed $(stat -c %h "$T/mnt/d") after d/sub"
[ "$(stat -c %h "$T/mnt")" = 5 ] || die "root nlink stayed $(stat -c %h "$T/mnt") after top"

#!/bin/bash
# famfs logplay MOUNTPOINT makes a mount catch up at once, whatever its follow interval: on a
# client that never follows by itself (--follow-interval 0) new files appear as soon as logplay
# returns, and on a client whose tick is a minute away its status moves at once. A mount that
# does not follow still watches for clobbering.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/m"
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b" --follow-interval 0
FAMFS_HOST="$T/hostC" famfs_mount "$T/dev.img" "$T/c" --follow-interval 60000
"$FAMFS" status "$T/b" >"$T/out"
grep -q "^follow: *on request only (famfs logplay)" "$T/out" || die "status of b: $(cat "$T/out")"
"$FAMFS" status "$T/c" >"$T/out"
grep -q "^follow: *every 60000 ms" "$T/out" || die "status of c: $(cat "$T/out")"

"$FAMFS" mkdir "$T/m/dir"
"$FAMFS" creat -s 8192 -r -S 9 "$T/m/dir/file" >/dev/null
sleep 0.5
[ ! -e "$T/b/dir" ] || die "a client with --follow-interval 0 followed the log by itself"
for h in b c; do
  [ "$("$FAMFS" status --json "$T/$h" | jq .entries_applied)" = 0 ] || die "$h moved by itself"
done

start=$(date +%s%N)
"$FAMFS" logplay "$T/b" >"$T/out" 2>"$T/err" || die "logplay b: $(cat "$T/err")"
[ -d "$T/b/dir" ] && cmp "$T/m/dir/file" "$T/b/dir/file" || die "b did not catch up at once"
ms=$((($(date +%s%N) - start) / 1000000))
echo "logplay on a mount plus the first reads: $ms ms" >&2
grep -q "2 log entries; 1 files; 1 directories; 0 errors" "$T/out" || die "$(cat "$T/out")"

"$FAMFS" logplay "$T/c" >"$T/out" 2>"$T/err" || die "logplay c: $(cat "$T/err")"
[ "$("$FAMFS" status --json "$T/c" | jq .entries_applied)" = 2 ] || die "c did not catch up"
"$FAMFS" verify -S 9 "$T/c/dir/file" >/dev/null || die "c: the file does not verify"

# --dry-run leaves the mount alone.
"$FAMFS" creat -s 4096 "$T/m/late" >/dev/null
"$FAMFS" logplay --dry-run "$T/b" >/dev/null || die "logplay --dry-run"
[ "$("$FAMFS" status --json "$T/b" | jq .entries_applied)" = 2 ] || die "--dry-run moved b"

# Another host's mkfs under b: b applies nothing by itself but notices within a second.
clobber_by_other_mkfs "$T/dev.img" "$T/b"
grep -q "^entries applied: *2" "$T/out" || die "b applied something: $(cat "$T/out")"
expect_exit 1 cat "$T/b/dir/file"

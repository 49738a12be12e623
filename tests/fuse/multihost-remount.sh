#!/bin/bash
# A client daemon that was stopped and mounted again catches up from the log: what the master
# made meanwhile is there at once, with its data. `famfs logplay` on a client makes it catch up
# at once. A --non-coherent client follows the log too, and `famfs flush` works on its files.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 128M
famfs_mount "$T/dev.img" "$T/m"
"$FAMFS" creat -s 5000 -r -S 3 "$T/m/early" >/dev/null
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b"
"$FAMFS" verify -S 3 -f "$T/b/early"
pid=$("$FAMFS" status --json "$T/b" | jq .daemon_pid)
"$FAMFS" umount "$T/b"
kill -0 "$pid" 2>/dev/null && die "client daemon still running"

"$FAMFS" mkdir "$T/m/later"
"$FAMFS" creat -s 6000 -r -S 4 "$T/m/later/x" >/dev/null
echo "copied" >"$T/src"
"$FAMFS" cp "$T/src" "$T/m/later/copy"
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b" --non-coherent
# No wait: the new daemon replays the whole log before it answers.
"$FAMFS" status --json "$T/b" | jq -e '.entries_applied == 4 and .non_coherent' >/dev/null \
  || die "remounted client: $("$FAMFS" status --json "$T/b")"
"$FAMFS" verify -S 4 -f "$T/b/later/x" || die "later/x on the remounted client"
[ "$(cat "$T/b/later/copy")" = copied ] || die "later/copy on the remounted client"
"$FAMFS" flush "$T/b/later/x" "$T/b/early" || die "flush on a client"
"$FAMFS" -v flush -H "$T/b/early" | grep -q "early: 2.0M written back and invalidated" ||
  die "flush -v -H"
"$FAMFS" verify -S 3 -f "$T/b/early"
expect_exit 1 "$FAMFS" flush "$T/b/later" "$T/b/nothere"
expect_stderr_contains "later: not a regular file"
expect_stderr_contains "2 errors were detected"

# logplay on the client applies a new entry at once (well before the 200 ms tick).
"$FAMFS" creat -s 100 "$T/m/now" >/dev/null
"$FAMFS" --system-uuid-file "$T/hostB" logplay "$T/b" >/dev/null
"$FAMFS" status --json "$T/b" | jq -e '.entries_applied == 5' >/dev/null \
  || die "logplay did not catch the client up"

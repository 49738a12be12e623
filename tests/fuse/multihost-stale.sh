#!/bin/bash
# A client that has not caught up (mounted with --follow-interval 0, so it applies nothing until
# asked) sees an older but consistent tree: exactly the files and directories of a prefix of the
# log, each with its attributes and its data, while the master has appended more. Then a client
# left part way through a batch (--follow-batch 4: each famfs logplay applies at most 4 entries)
# shows the prefix it reached, and logplay says the mount is behind; a second logplay catches up.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 128M
famfs_mount "$T/dev.img" "$T/m"
# Entries 0-2, before the client mounts.
"$FAMFS" mkdir -m 0750 -u 11 -g 12 "$T/m/old"
"$FAMFS" creat -s 10000 -m 0640 -u 7 -g 8 -r -S 1 "$T/m/old/a" >/dev/null
"$FAMFS" creat -s 5000 -u 0 -g 0 -r -S 2 "$T/m/b" >/dev/null
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/c" --follow-interval 0 --follow-batch 4

# What a mount shows: path, type, mode, owner and size of everything but .meta, sorted.
listing() {
  (cd "$1" && find . -mindepth 1 -path ./.meta -prune -o -print0 \
    | xargs -0 stat -c '%n %F %a %u:%g %s') | LC_ALL=C sort
}
# The client serves file data read-only: its files show no write bits.
cat >"$T/want3" <<'LIST'
./b regular file 444 0:0 5000
./old directory 750 11:12 4096
./old/a regular file 440 7:8 10000
LIST
listing "$T/c" >"$T/got" 2>&1
diff "$T/want3" "$T/got" >&2 || die "the client does not show the first 3 entries"

# Entries 3-8 on the master: directories and files, nested.
"$FAMFS" mkdir "$T/m/new"
"$FAMFS" creat -s 3000 -u 0 -g 0 -r -S 3 "$T/m/new/c" >/dev/null
"$FAMFS" creat -s 4000 -u 0 -g 0 -r -S 4 "$T/m/d" >/dev/null
"$FAMFS" mkdir -m 0700 -u 0 -g 0 "$T/m/new/sub"
"$FAMFS" creat -s 6000 -u 0 -g 0 -r -S 5 "$T/m/new/sub/e" >/dev/null
"$FAMFS" creat -s 7000 -u 0 -g 0 -r -S 6 "$T/m/f" >/dev/null
[ "$("$FAMFS" status --json "$T/m" | jq .log_slots_used)" = 9 ] || die "master log size"
[ "$(find "$T/m" -path "$T/m/.meta" -prune -o -type f -print | wc -l)" = 6 ] \
  || die "the master does not list its 6 files"
sleep 1.2 # six ticks of the default follow interval: this client must not have moved

# The stale client: still exactly entries 0-2, and its files read correctly.
[ "$("$FAMFS" status --json "$T/c" | jq .entries_applied)" = 3 ] || die "the client moved"
listing "$T/c" >"$T/got" 2>&1
diff "$T/want3" "$T/got" >&2 || die "the stale client's tree is not the 3-entry prefix"
[ ! -e "$T/c/new" ] && [ ! -e "$T/c/d" ] || die "the stale client shows new names"
cmp "$T/m/old/a" "$T/c/old/a" || die "old/a reads differently on the stale client"
cmp "$T/m/b" "$T/c/b" || die "b reads differently on the stale client"
"$FAMFS" verify -S 1 "$T/c/old/a" >/dev/null || die "old/a does not verify on the client"
[ "$("$FAMFS" status --json "$T/c" | jq .entries_applied)" = 3 ] || die "reads made it move"

# One follow step of at most 4 entries: 3-6 (new/, new/c, d, new/sub). logplay says the mount is
# behind (it checks what the daemon applied) and fails.
expect_exit 1 "$FAMFS" logplay "$T/c"
expect_stderr_contains "the mount on $(realpath "$T/c") has applied 7 of the 9 log entries"
expect_stderr_contains "f: in the log but not visible in the mount"
cat "$T/want3" - <<'LIST' | LC_ALL=C sort >"$T/want7"
./d regular file 444 0:0 4000
./new directory 755 0:0 4096
./new/c regular file 444 0:0 3000
./new/sub directory 700 0:0 4096
LIST
listing "$T/c" >"$T/got" 2>&1
diff "$T/want7" "$T/got" >&2 || die "the client part way through a batch is not at a prefix"
cmp "$T/m/new/c" "$T/c/new/c" || die "new/c reads differently on the client"
cmp "$T/m/d" "$T/c/d" || die "d reads differently on the client"
[ "$("$FAMFS" status --json "$T/c" | jq .entries_applied)" = 7 ] || die "entries after a step"

# The next step catches up: the same tree as the master, the same bytes.
"$FAMFS" logplay "$T/c" >"$T/out" 2>"$T/err" || die "logplay after the last step: $(cat "$T/err")"
grep -q "9 log entries; 6 files; 3 directories; 0 errors" "$T/out" || die "$(cat "$T/out")"
for h in m c; do
  (cd "$T/$h" && find . -path ./.meta -prune -o -type f -exec md5sum {} + | sort -k2) >"$T/$h.sum"
done
[ "$(wc -l <"$T/m.sum")" = 6 ] || die "master sums"
diff "$T/m.sum" "$T/c.sum" >&2 || die "the caught-up client differs from the master"

#!/bin/bash
# Another host re-runs mkfs on the memory while a client is mounted (simulated: a fresh file
# system from host C is written over the superblock and log). The client daemon notices within
# a tick, refuses file data with EIO (no wrong data), keeps running, `famfs status` says why,
# and umount works. Also: an applied log entry rewritten in place is caught the same way.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/m"
"$FAMFS" creat -s 8192 -r -S 9 "$T/m/f" >/dev/null
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b"
"$FAMFS" verify -S 9 -f "$T/b/f" || die "client read before the clobber"
exec 7<"$T/b/f" # a file left open across the clobber
"$FAMFS" status "$T/b" >/dev/null || die "healthy mount reported unhealthy"
pid=$("$FAMFS" status --json "$T/b" | jq .daemon_pid)

clobber_by_other_mkfs "$T/dev.img" "$T/b"
grep -q "on device now:" "$T/out" || die "status does not show the new UUID"
expect_stderr_contains "famfs status: error: $(realpath "$T/b"): the file system changed under this mount"
"$FAMFS" status --json "$T/b" >"$T/json" || true
jq -e '.healthy == false and (.reason | test("UUID changed"))' "$T/json" >/dev/null \
  || die "status --json: $(cat "$T/json")"
grep -q "CLOBBERED: the file system UUID changed" "$T/fuse.log" || die "the daemon did not trace it"
# No data: open and read fail with EIO, also through the descriptor opened before.
not cat "$T/b/f" 2>"$T/err"
grep -q "Input/output error" "$T/err" || die "open after clobber: $(cat "$T/err")"
not dd bs=4096 count=1 status=none <&7 >/dev/null 2>"$T/err"
grep -q "Input/output error" "$T/err" || die "read after clobber: $(cat "$T/err")"
exec 7<&-
kill -0 "$pid" || die "the client daemon died"
ls "$T/b" >/dev/null || die "the client stopped answering lookups"
"$FAMFS" umount "$T/b" || die "umount of a clobbered mount"
kill -0 "$pid" 2>/dev/null && die "daemon still running after umount"
"$FAMFS" umount "$T/m"

# An applied entry rewritten in place (same file system UUID, same next_index).
fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/m"
"$FAMFS" creat -s 4096 "$T/m/g" >/dev/null
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b"
cat "$T/b/g" >/dev/null
printf 'X' >"$T/x"
putbytes "$T/dev.img" $((0x200000 + 48 + 100)) "$T/x" # inside entry 0's path
sleep 0.5
expect_exit 1 "$FAMFS" status "$T/b"
grep -q "CLOBBERED: log entry 0 .* changed after it was applied" "$T/out" || die "$(cat "$T/out")"
not cat "$T/b/g" 2>/dev/null
"$FAMFS" umount "$T/b"

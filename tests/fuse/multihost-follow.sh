#!/bin/bash
# One master and two client mounts ("hosts" B and C: their own system UUID files) over one
# backing file. The master makes 100 files with data and 10 directories; within one second, with
# no command on the clients, both daemons have applied every entry (their status, read through
# an xattr that triggers no replay, says so); then both list everything with identical contents.
# A second mount as the same host is refused; each mount reports its role.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 256M # the master is this test's default host
famfs_mount "$T/dev.img" "$T/m"
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b"
FAMFS_HOST="$T/hostC" famfs_mount "$T/dev.img" "$T/c"
grep -q "on $(realpath "$T/m"): this host is the master; file data is read-write" "$T/fuse.log" \
  || die "the master mount did not say its role"
grep -q "on $(realpath "$T/b"): this host is the client; file data is read-only" "$T/fuse.log" \
  || die "client B did not say its role"
# Host B again, on another mount point: refused (one mount per device per host).
mkdir -p "$T/b2"
expect_exit 1 "$FAMFS" --system-uuid-file "$T/hostB" mount "$T/dev.img" "$T/b2"
expect_stderr_contains "famfs mount: error: $T/dev.img: already mounted on $(realpath "$T/b")"

for ((d = 0; d < 10; d++)); do
  "$FAMFS" mkdir "$T/m/d$d"
done
multi=()
for ((i = 0; i < 100; i++)); do
  multi+=(-M "$T/m/d$((i % 10))/f$i,$((4096 + i * 7)),$((i + 1))")
done
"$FAMFS" creat "${multi[@]}" >/dev/null
want=$("$FAMFS" status --json "$T/m" | jq .log_slots_used)
[ "$want" = 110 ] || die "master log holds $want entries, expected 110"
sleep 1
for h in b c; do
  got=$("$FAMFS" status --json "$T/$h" | jq .entries_applied)
  [ "$got" = 110 ] || die "client $h applied $got of 110 entries one second later"
done
(cd "$T/m" && find . -type f -exec md5sum {} + | sort -k2) >"$T/master.sum"
[ "$(wc -l <"$T/master.sum")" = 102 ] || die "master lists $(wc -l <"$T/master.sum") files" # + .meta
for h in b c; do
  (cd "$T/$h" && find . -type f -exec md5sum {} + | sort -k2) >"$T/$h.sum"
  diff "$T/master.sum" "$T/$h.sum" >&2 || die "client $h differs from the master"
  [ "$(find "$T/$h" -mindepth 1 -type d -not -name .meta | wc -l)" = 10 ] || die "client $h dirs"
done
"$FAMFS" verify -S 37 -f "$T/b/d6/f36" || die "client data does not verify"
"$FAMFS" status "$T/c" >"$T/out"
grep -q "^role: *client" "$T/out" && grep -q "^health: *healthy" "$T/out" \
  && grep -q "^log slots used: *110 of" "$T/out" || die "status of c: $(cat "$T/out")"

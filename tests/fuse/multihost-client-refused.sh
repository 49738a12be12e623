#!/bin/bash
# On a client host's mount, creat, mkdir and cp fail with the client message and the log is not
# touched (clients never append); file data is read-only unless --writable.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
famfs_mount "$T/dev.img" "$T/m"
"$FAMFS" creat -s 4096 -r -S 5 "$T/m/f" >/dev/null
FAMFS_HOST="$T/hostB" famfs_mount "$T/dev.img" "$T/b"
B=(--system-uuid-file "$T/hostB")
echo data >"$T/src"
log_before=$(devbytes "$T/dev.img" $((0x200000)) $((0x800000)) | md5sum)
for cmd in "creat -s 4096 $T/b/new" "mkdir $T/b/dir" "cp $T/src $T/b/copy"; do
  # shellcheck disable=SC2086
  expect_exit 1 "$FAMFS" "${B[@]}" $cmd
  expect_stderr_contains "this host is a client of the file system"
  expect_stderr_contains "only the master can change it"
done
[ "$(devbytes "$T/dev.img" $((0x200000)) $((0x800000)) | md5sum)" = "$log_before" ] \
  || die "a client command changed the log"
"$FAMFS" status --json "$T/b" | jq -e '.role == "client" and .writable == false' >/dev/null \
  || die "client status: $("$FAMFS" status --json "$T/b")"
rc=0
echo hi | dd of="$T/b/f" conv=notrunc status=none 2>"$T/err" || rc=$?
[ $rc -ne 0 ] && grep -q "Read-only file system" "$T/err" || die "client write did not fail"
"$FAMFS" verify -S 5 -f "$T/b/f" || die "client read of f"
# The master still may.
"$FAMFS" mkdir "$T/m/dir"
[ -d "$T/b/dir" ] || die "master's mkdir not seen on the client"

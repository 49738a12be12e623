#!/bin/bash
# A media error under a mount (the backing file shrinks under the daemon's mapping, the way
# poisoned memory raises SIGBUS): reads and writes of the lost file fail with EIO, the daemon
# traces "media error" with the device offset and keeps serving the other files, status counts
# the errors and says the device is short, and umount works. Losing the log as well stops log following, not the daemon.
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "jq not installed"

fuse_mkfs "$T/dev.img" 64M
# low lands in the first allocation unit (DATA0), high far above it, past 20 MiB.
"$FAMFS" creat --device "$T/dev.img" -r -S 1 -s 1m low
"$FAMFS" creat --device "$T/dev.img" -s 40m pad
"$FAMFS" creat --device "$T/dev.img" -r -S 2 -s 1m high
high_off=$("$FAMFS" getmap --json --device "$T/dev.img" high | jq '.files[0].extents[0].offset')
[ "$high_off" -ge $((24 << 20)) ] || die "high is at $high_off, below the cut"
devbytes "$T/dev.img" $DATA0 $((1 << 20)) >"$T/low.ref"

famfs_mount "$T/dev.img" "$T/mnt"
pid=$("$FAMFS" status --json "$T/mnt" | jq .daemon_pid)
cmp "$T/mnt/high" <(head -c $((1 << 20)) /dev/zero) >/dev/null 2>&1 && die "high reads as zeros"

# Keep the superblock, the log and low; lose pad and high.
truncate -s 20M "$T/dev.img"

expect_exit 1 cat "$T/mnt/high"
expect_stderr_contains "Input/output error"
expect_exit 1 dd if="$T/mnt/high" of=/dev/null bs=4096 count=1 skip=5 status=none
expect_stderr_contains "Input/output error"
expect_exit 1 dd if=/dev/zero of="$T/mnt/high" bs=4096 count=1 conv=notrunc status=none
expect_stderr_contains "Input/output error"
kill -0 "$pid" || die "the daemon died"

# The other files are still served, and the mount still answers.
cmp "$T/mnt/low" "$T/low.ref" || die "low differs after the media error"
ls "$T/mnt" >/dev/null
grep -q "media error at offset $(printf '%#x' "$high_off")" "$T/fuse.log" || {
  cat "$T/fuse.log" >&2
  die "no media error trace with the device offset of high"
}
# The shrunken backing file is named: not healthy (issue 16).
expect_exit 1 "$FAMFS" status "$T/mnt"
expect_stdout_contains "media errors:"
expect_stdout_contains "health:          DAMAGED: the device holds 20971520 bytes, fewer than the 67108864"
n=$({ "$FAMFS" status --json "$T/mnt" || true; } | jq .media_errors)
[ "$n" -ge 3 ] || die "status counts $n media errors, want at least 3"
kill -0 "$pid" || die "the daemon died"

# Lose the log too (only the superblock's 2 MiB are left): the daemon stops following the log
# but keeps running and keeps serving the tree it replayed.
truncate -s 2M "$T/dev.img"
sleep 0.5 # a few housekeeping ticks
ls "$T/mnt" >"$T/ls"
grep -qx low "$T/ls" || die "the replayed tree is gone: $(cat "$T/ls")"
stat "$T/mnt/high" >/dev/null
grep -q "log: .*media error at offset 0x200000; serving the 3 entries replayed so far" \
  "$T/fuse.log" || {
  cat "$T/fuse.log" >&2
  die "no media error trace for the log header"
}
kill -0 "$pid" || die "the daemon died when the log was lost"

expect_exit 0 "$FAMFS" umount "$T/mnt"
for ((i = 0; i < 50; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && die "the daemon is still running after umount"
grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo && die "still mounted"
true

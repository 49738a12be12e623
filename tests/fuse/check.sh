#!/usr/bin/env bash
# famfs check: clean on a fresh mount with files, finds a mismatch made on purpose (entries
# logged with --device that a mount which does not follow the log has not applied), reports it
# as JSON, and refuses bad arguments.
source "$(dirname "$0")/common.sh"

mkimg "$T/dev.img" 256M
"$FAMFS" mkfs "$T/dev.img" >/dev/null
famfs_mount "$T/dev.img" "$T/mnt"
"$FAMFS" mkdir -m 0750 "$T/mnt/dir"
"$FAMFS" creat -s 3m -r -S 7 "$T/mnt/dir/a"
"$FAMFS" cp "$0" "$T/mnt/script"

expect_exit 0 "$FAMFS" check "$T/mnt"
expect_stdout_contains "0 problems"
expect_exit 0 "$FAMFS" check --data "$T/mnt"
expect_stdout_contains "2 directories"
expect_stdout_contains "files' data compared"

# The log now has entries that the mount does not show (it follows only when asked).
"$FAMFS" umount "$T/mnt"
famfs_mount "$T/dev.img" "$T/mnt" --follow-interval 0
"$FAMFS" mkdir --device "$T/dev.img" later
"$FAMFS" creat --device "$T/dev.img" -s 4k dir/later
expect_exit 1 "$FAMFS" check "$T/mnt"
expect_stdout_contains "later: in the log but missing from the mount"
expect_stdout_contains "dir/later: in the log but missing from the mount"
expect_exit 1 "$FAMFS" check --json "$T/mnt"
python3 -m json.tool "$T/out" >/dev/null
[ "$(jq '.problems | length' "$T/out")" -eq 2 ] || die "expected 2 problems in JSON"
[ "$(jq -r '.exit_code' "$T/out")" -eq 1 ] || die "JSON exit_code"

# Bad arguments.
expect_exit 8 "$FAMFS" check "$T/mnt/dir"
expect_stderr_contains "famfs check: error: $T/mnt/dir: not a mount point"
expect_exit 8 "$FAMFS" check "$T"
expect_stderr_contains "not in a famfs file system"
expect_exit 16 "$FAMFS" check
expect_stderr_contains "famfs check: error:"

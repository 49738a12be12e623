#!/usr/bin/env bash
# Modes: famfs accepts permission bits 0 to 0777 only. creat, mkdir and cp refuse setuid, setgid
# and sticky (exit 2, nothing created); fsck reports log entries with other modes (bits above
# 07777: error, exit 4; setuid/setgid/sticky: warning) and notes files of size 0 (info, -vv).
source "$(dirname "$0")/common.sh"
: "${FAMFS_FSCK_IMAGE:?FAMFS_FSCK_IMAGE must point at famfs_fsck_image}"

img="$T/dev.img"
mkimg "$img" 64M
expect_exit 0 "$FAMFS" mkfs "$img"

expect_exit 2 "$FAMFS" creat --device "$img" -m 7777 -s 4k f
expect_stderr_contains "famfs creat: error: -m 7777: mode 07777 has the setuid, setgid and sticky bits (famfs accepts permission bits 0 to 0777)"
expect_exit 2 "$FAMFS" creat --device "$img" -m 4755 -s 4k f
expect_stderr_contains "mode 04755 has the setuid bit"
expect_exit 2 "$FAMFS" mkdir --device "$img" -m 2755 d
expect_stderr_contains "famfs mkdir: error: -m 2755: mode 02755 has the setgid bit"
expect_exit 2 "$FAMFS" mkdir --device "$img" -m 1777 d
expect_stderr_contains "mode 01777 has the sticky bit"
echo data >"$T/src"
expect_exit 2 "$FAMFS" cp --device "$img" -m 4755 "$T/src" copy
expect_stderr_contains "famfs cp: error: -m 4755: mode 04755 has the setuid bit"
expect_exit 2 "$FAMFS" creat --device "$img" -m 17777 -s 4k f
expect_stderr_contains "17777: not an octal mode"
expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "0 files"
expect_stdout_contains "0 directories"

# A setuid source keeps only its permission bits (as upstream's cp: mode & 0777).
chmod 4755 "$T/src"
expect_exit 0 "$FAMFS" cp --device "$img" "$T/src" copy
expect_exit 0 "$FAMFS" creat --device "$img" -m 0777 -s 4k f
expect_exit 0 "$FAMFS" creat --device "$img" -m 0 -s 4k g
expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "3 files"
not grep -q "warning" "$T/out" "$T/err"

# Entry 0 (copy): mode 0755 -> 0xffffffff; entry 1 (f): 0777 -> 04777; entry 2 (g): size 0.
entry=$((0x200030))
x() { "$FAMFS_FSCK_IMAGE" xor "$img" "$1" "$2"; }
x $((entry + 36)) $((0xed ^ 0xff))
x $((entry + 37)) $((0x01 ^ 0xff))
x $((entry + 38)) 0xff
x $((entry + 39)) 0xff
"$FAMFS_FSCK_IMAGE" restamp "$img" 0
x $((entry + 544 + 37)) 0x08
"$FAMFS_FSCK_IMAGE" restamp "$img" 1
"$FAMFS_FSCK_IMAGE" put64 "$img" $((entry + 2 * 544 + 16)) 0
"$FAMFS_FSCK_IMAGE" restamp "$img" 2
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: log entry 0 (copy): mode 037777777777 has bits outside 07777 (not a permission mode); served as 0777"
expect_stdout_contains "  warning: log entry 1 (f): mode 04777 has the setuid bit (famfs accepts permission bits 0 to 0777); served as 0777"
not grep -qF "size 0" "$T/out"
expect_stderr_contains "famfs fsck: error: $img: 1 error found (1 warning)"
expect_exit 4 "$FAMFS" fsck -vv "$img"
expect_stdout_contains "  info: log entry 2 (g): file of size 0 (famfs creat and cp never make one)"
expect_exit 4 "$FAMFS" fsck --json "$img"
[ "$(jq '[.problems[] | select(.kind == "entry_mode")] | length' "$T/out")" = 2 ] ||
  die "fsck --json: $(cat "$T/out")"

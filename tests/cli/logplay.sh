#!/usr/bin/env bash
# famfs logplay on a device: counts, -v, --json, --dry-run, and errors: a damaged entry stops
# the replay (exit 1, naming the entry), a path that clashes is counted, usage errors exit 2.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
expect_exit 0 "$FAMFS" logplay "$img"
expect_stdout_contains "famfs logplay: $img: 0 log entries; 0 files; 0 directories; 0 errors"
"$FAMFS" mkdir --device "$img" -p a/b
"$FAMFS" creat --device "$img" -M a/f,1m -M g,4k
expect_exit 0 "$FAMFS" -v logplay "$img"
cat >"$T/want" <<TXT
famfs logplay: $img: 4 log entries; 2 files; 2 directories; 0 errors
	a
	a/b
	a/f
	g
TXT
expect_file_eq "$T/want" "$T/out"
expect_exit 0 "$FAMFS" logplay -n "$img"
expect_stdout_contains "famfs logplay: dry run"
expect_exit 0 "$FAMFS" logplay --json --dry-run "$img"
[ "$(jq -r '"\(.entries_used) \(.files) \(.directories) \(.errors) \(.dry_run) \(.mountpoint)"' "$T/out")" = "4 2 2 0 true null" ] ||
  die "json: $(cat "$T/out")"
expect_exit 0 "$FAMFS" -v logplay --json "$img"
[ "$(jq -r '.created | join(",")' "$T/out")" = "a,a/b,a/f,g" ] || die "json -v: $(cat "$T/out")"

expect_exit 2 "$FAMFS" logplay
expect_exit 2 "$FAMFS" logplay -rm "$img"
expect_exit 1 "$FAMFS" logplay "$T/nosuch"
expect_stderr_contains "$T/nosuch: No such file or directory"
expect_exit 1 "$FAMFS" logplay "$T"
expect_stderr_contains "directory is not in a mounted famfs"

# Damage entry 2 (a/f): the replay stops there and says where.
cp "$img" "$T/bad.img"
printf 'X' | dd of="$T/bad.img" conv=notrunc oflag=seek_bytes seek=$((0x200000 + 48 + 544 * 2 + 60)) status=none
expect_exit 1 "$FAMFS" logplay --json "$T/bad.img"
[ "$(jq -r '"\(.entries_used) \(.stopped) \(.errors)"' "$T/out")" = "2 true 1" ] || die "bad: $(cat "$T/out")"
expect_stderr_contains "log entry 2 at device offset 0x200470: checksum mismatch"
# Writers refuse to allocate past a damaged entry.
expect_exit 1 "$FAMFS" creat --device "$T/bad.img" -s 1 x
expect_stderr_contains "hint: famfs will not allocate past a damaged log entry"

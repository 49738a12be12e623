#!/usr/bin/env bash
# Filling the log: a command that needs more slots than are left makes nothing and says so
# ("log full: N of M entries used" + the --loglen hint); what fits exactly is made; fsck is clean.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img=/dev/shm/famfs-log-full-$$.img # many appends: keep msync cheap
[ -w /dev/shm ] || img="$T/dev.img"
at_exit "rm -f '$img'"
mkfs_img "$img" 256M # 8 MiB log: 15420 slots
mapfile -t dirs < <(seq -f 'd%g' 1 15410)
expect_exit 0 "$FAMFS" mkdir --device "$img" "${dirs[@]}"
[ "$(nentries "$img")" = 15410 ] || die "entries after filling"

# 10 slots left. An 11-level mkdir -p needs 11: nothing made.
expect_exit 1 "$FAMFS" mkdir --device "$img" -p p/1/2/3/4/5/6/7/8/9/10
expect_stderr_contains "famfs mkdir: error: log full: 15410 of 15420 entries used; 11 needed"
expect_stderr_contains "hint: make a file system with a larger --loglen"
# 11 files: nothing made (and no space is taken).
files=()
for i in $(seq 1 11); do files+=(-M "f$i,1m"); done
expect_exit 1 "$FAMFS" creat --device "$img" "${files[@]}"
expect_stderr_contains "log full: 15410 of 15420 entries used; 11 needed"
[ "$(nentries "$img")" = 15410 ] || die "a refused command logged something"
# Exactly 10 fit: a 5-level mkdir -p and 5 files in one cp.
expect_exit 0 "$FAMFS" mkdir --device "$img" -p p/1/2/3/4
mkdir "$T/five"
for i in 1 2 3 4 5; do echo "$i" >"$T/five/$i"; done
expect_exit 0 "$FAMFS" cp --device "$img" "$T"/five/* p/1/2/3/4
[ "$(nentries "$img")" = 15420 ] || die "not full"
expect_exit 1 "$FAMFS" creat --device "$img" -s 4k one-more
cat >"$T/want" <<'TXT'
famfs creat: error: log full: 15420 of 15420 entries used
hint: make a file system with a larger --loglen
TXT
expect_file_eq "$T/want" "$T/err"
expect_exit 1 "$FAMFS" cp --device "$img" "$T/five/1" p/new
expect_stderr_contains "log full"
# Still usable: what exists is intact, re-creating an existing file (no entry) works.
expect_exit 0 "$FAMFS" creat --device "$img" -s 2 p/1/2/3/4/1
expect_exit 0 "$FAMFS" logplay "$img"
expect_stdout_contains "15420 log entries; 5 files; 15415 directories; 0 errors"
fsck_clean "$img"

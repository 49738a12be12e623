#!/usr/bin/env bash
# cp -r of a real tree (GNU cp's habits): what famfs cannot hold (empty files, symbolic links,
# devices and fifos) is skipped and named, everything else is copied, a summary says so, and
# the exit status is 4 ("partial"); -L copies what a symbolic link points to; -n leaves
# existing destination files alone.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
img="$T/dev.img"
mkfs_img "$img" 64M
cpd() { "$FAMFS" cp --device "$img" "$@"; }
s="$T/tree"
mkdir -p "$s/a/b" "$s/c"
head -c 1000 /dev/urandom >"$s/f1"
head -c 2000 /dev/urandom >"$s/a/f2"
head -c 3000 /dev/urandom >"$s/a/b/f3"
: >"$s/a/empty"
ln -s ../f1 "$s/c/link"
mkfifo "$s/c/fifo"

expect_exit 4 cpd -r "$s" t
# Upstream famfs skips empty sources too (famfs_cp in src/famfs_lib.c, still so at its HEAD of
# 2026-06-28), and its creat refuses size 0: famfs holds no empty file, so each is named here.
expect_stderr_contains "$s/a/empty: is empty; famfs files hold at least one byte"
expect_stderr_contains "$s/c/link: is a symbolic link; famfs has none (-L copies what it points to)"
expect_stderr_contains "$s/c/fifo: not a regular file or directory"
expect_stderr_contains "famfs cp: warning: partial copy: 3 files and 4 directories copied; 3 skipped"
for f in f1 a/f2 a/b/f3; do check "t/$f" "$s/$f"; done
fsck_clean "$img"

# -L: the link's target is copied (the fifo and the empty file are still skipped).
expect_exit 4 cpd -r -L "$s" tl
check tl/c/link "$s/f1"
expect_stderr_contains "partial copy: 4 files and 4 directories copied; 2 skipped"
# -n: an existing destination (even of another size) is left alone, new ones are copied.
head -c 5000 /dev/urandom >"$T/new"
expect_exit 0 cpd "$T/new" n1
head -c 7000 /dev/urandom >"$T/other"
expect_exit 1 cpd "$T/other" n1 # without -n: another size is an error
expect_exit 0 cpd -n "$T/other" n1
check n1 "$T/new"
expect_exit 0 cpd -n "$T/other" n2
check n2 "$T/other"

#!/usr/bin/env bash
# famfs mkdir: upstream's test1 rules (spec §9.1), -p, several directories, and nothing logged
# for a directory that cannot be made.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
m() { "$FAMFS" mkdir --device "$img" "$@"; }
created() { "$FAMFS" logplay --json -v "$img" | jq -r '.created | join(" ")'; }

expect_exit 0 m d1
expect_exit 1 m d1
expect_stderr_contains "famfs mkdir: error: d1: directory exists"
"$FAMFS" creat --device "$img" -s 4k file
expect_exit 1 m file
expect_stderr_contains "file: exists and is not a directory"
expect_exit 0 m ./d2 d1//d3 d1/./d4/
expect_exit 1 m d2
expect_exit 1 m .
expect_stderr_contains "is the file system root"
expect_exit 0 m -p .
expect_exit 0 m -p ''
expect_exit 1 m x/y
expect_stderr_contains "x/y: parent directory x does not exist"
expect_exit 0 m -p -m 600 -u 0 -g 77 a/b/c/d
expect_exit 0 m -p a/b/c/d
expect_exit 1 m -p file/sub
expect_stderr_contains "file/sub: file is not a directory"
expect_exit 2 m -p a/y/../../../..
expect_stderr_contains "path escapes the file system root"
expect_exit 2 m .meta/x
expect_stderr_contains ".meta is reserved"
# Several directories: the good ones are made even when one fails.
expect_exit 1 m e1 d1 e2
[ "$(created)" = "d1 file d2 d1/d3 d1/d4 a a/b a/b/c a/b/c/d e1 e2" ] || die "log: $(created)"
# One entry per directory made (the attributes are checked through a mount in
# tests/fuse/tools-roundtrip.sh).
[ "$(nentries "$img")" = 11 ] || die "entries: $(nentries "$img")"
fsck_clean "$img"
# -p with -m/-u/-g: the last component gets them, the parents made get 0755 and the caller's ids
# (GNU mkdir; getmap shows files only, so read the mode back from the shadow tree).
expect_exit 0 m -p -m 700 -u 4321 -g 77 p1/p2/p3
mkdir "$T/sh"
"$FAMFS" logplay -S "$T/sh" "$img" >/dev/null
[ "$(stat -c '%a %u %g' "$T/sh/root/p1/p2/p3")" = "700 4321 77" ] || die "last: $(stat -c '%a %u %g' "$T/sh/root/p1/p2/p3")"
for p in p1 p1/p2; do
  [ "$(stat -c '%a %u %g' "$T/sh/root/$p")" = "755 $(id -u) $(id -g)" ] || die "$p: $(stat -c '%a %u %g' "$T/sh/root/$p")"
done

#!/usr/bin/env bash
# creat, mkdir, cp, verify, getmap and logplay on a real mount: what the tools make is visible
# through the mount at once, with its data, size, mode, uid and gid; trees copied with cp -r
# equal the source (diff -r through the mount); everything survives umount + mount; the mount
# and the log agree (famfs check --data) and fsck is clean.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 512M
M="$T/mnt"
famfs_mount "$T/dev.img" "$M"

attrs() { stat -c '%a %u %g' "$1"; }

# creat -r, read back through the mount and verified as a plain file.
"$FAMFS" creat -s 3m -r -S 42 "$M/f"
[ "$(stat -c %s "$M/f")" = 3145728 ] || die "f size"
cat "$M/f" >"$T/f.read"
expect_exit 0 "$FAMFS" verify -S 42 "$T/f.read"
expect_exit 0 "$FAMFS" verify -S 42 "$M/f"
expect_exit 1 "$FAMFS" verify -S 43 "$M/f"
"$FAMFS" creat -m 600 -u 1234 -g 5678 -s 4k "$M/owned"
[ "$(attrs "$M/owned")" = "600 1234 5678" ] || die "owned: $(attrs "$M/owned")"

# --multi with one file outside famfs: that one fails, the good one is made.
expect_exit 2 "$FAMFS" creat --multi "$M/good,4k" --multi "$T/outside,4k"
expect_stderr_contains "$T/outside: not in a famfs file system"
[ -f "$M/good" ] || die "good not created"
[ ! -e "$T/outside" ] || die "outside created"
# Six seeded files (upstream test2): each verifies with its seed, distinct seeds differ.
multi=()
for i in 1 2 3 4 5 6; do multi+=(-M "$M/s$i,8m,$((100 + i))"); done
"$FAMFS" creat "${multi[@]}"
cmp -s "$M/s1" "$M/s2" && die "distinct seeds gave the same data"

# mkdir -p with attributes: the last level gets them, the parents made 0755 and the caller's
# ids (GNU mkdir; upstream famfs gives every level the attributes).
"$FAMFS" mkdir -p -m 700 -u 12 -g 34 "$M/a/b/c/d"
[ "$(attrs "$M/a/b/c/d")" = "700 12 34" ] || die "a/b/c/d: $(attrs "$M/a/b/c/d")"
for d in a a/b a/b/c; do
  [ "$(attrs "$M/$d")" = "755 $(id -u) $(id -g)" ] || die "$d: $(attrs "$M/$d")"
done
expect_exit 1 "$FAMFS" mkdir "$M/a"
expect_exit 1 "$FAMFS" mkdir "$M"
expect_stderr_contains "is the file system root"
expect_exit 0 "$FAMFS" mkdir -p "$M"
# Relative paths from inside the mount.
(cd "$M/a/b" && "$FAMFS" mkdir ./x//y 2>/dev/null) && die "mkdir x/y without -p"
(cd "$M/a/b" && "$FAMFS" mkdir -p ./x//y && "$FAMFS" creat -s 1m -r -S 5 x/rel) || die "relative"
expect_exit 0 "$FAMFS" verify -S 5 "$M/a/b/x/rel"

# cp of a file: to a name, into the root as "$M", "$M/" and "$M/." (all land on $M/<name>).
head -c 1234567 /dev/urandom >"$T/blob"
"$FAMFS" cp "$T/blob" "$M/a/blob.copy"
cmp "$T/blob" "$M/a/blob.copy" || die "blob copy"
for d in "$M" "$M/" "$M/."; do
  "$FAMFS" cp "$T/blob" "$d"
  cmp "$T/blob" "$M/blob" || die "cp to $d"
done
# famfs -> famfs.
"$FAMFS" cp "$M/f" "$M/a/f.copy"
expect_exit 0 "$FAMFS" verify -S 42 "$M/a/f.copy"
# Wildcard with -m/-u/-g into a deep directory.
mkdir -p "$T/w"
for i in 1 2 3; do head -c $((i * 1000)) /dev/urandom >"$T/w/w$i"; done
"$FAMFS" cp -m 640 -u 7 -g 8 "$T"/w/* "$M/a/b/c/d"
for i in 1 2 3; do
  cmp "$T/w/w$i" "$M/a/b/c/d/w$i" || die "w$i"
  [ "$(attrs "$M/a/b/c/d/w$i")" = "640 7 8" ] || die "w$i attrs"
done

# cp -r of a real tree (the sources of this project): diff -r through the mount.
src="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir "$T/tree"
cp -r "$src/log" "$src/core" "$T/tree/"
"$FAMFS" cp -r "$T/tree" "$M/tree"
diff -r "$T/tree" "$M/tree" || die "cp -r tree differs"
"$FAMFS" mkdir "$M/into"
"$FAMFS" cp -r -t 2 --verify "$T/tree" "$M/into/"
diff -r "$T/tree" "$M/into/tree" || die "cp -r into a directory differs"

# getmap and logplay on the mount.
expect_exit 0 "$FAMFS" getmap "$M/f"
expect_stdout_contains "File:     $M/f"
expect_exit 0 "$FAMFS" logplay "$M"
expect_stdout_contains "famfs logplay: $(realpath "$M"):"
expect_stdout_contains " 0 errors"
expect_exit 0 "$FAMFS" logplay --json "$T/dev.img"
[ "$(jq -r '"\(.mountpoint) \(.errors)"' "$T/out")" = "$(realpath "$M") 0" ] ||
  die "logplay of the mounted device: $(cat "$T/out")"
expect_exit 0 "$FAMFS" check --data "$M"

# umount + mount: the same files, data and attributes (replayed from the log).
snapshot() { (cd "$M" && find . -path ./.meta -prune -o -printf '%p %s %m %U %G\n' | sort); }
snapshot >"$T/before"
"$FAMFS" umount "$M"
expect_exit 0 "$FAMFS" fsck "$T/dev.img"
expect_stdout_contains "No allocation errors found"
famfs_mount "$T/dev.img" "$M"
snapshot >"$T/after"
diff -u "$T/before" "$T/after" || die "the tree changed across a remount"
expect_exit 0 "$FAMFS" verify -m "$M/f,42" -m "$M/a/b/x/rel,5" -m "$M/a/f.copy,42"
for i in 1 2 3 4 5 6; do multi[$((2 * i - 1))]="$M/s$i,$((100 + i))"; done
expect_exit 0 "$FAMFS" verify "${multi[@]/-M/-m}"
expect_stdout_contains "Verify complete for 6 files with 0 errors"
diff -r "$T/tree" "$M/tree" || die "tree differs after remount"
cmp "$T/blob" "$M/blob" || die "blob after remount"
expect_exit 0 "$FAMFS" check --data "$M"

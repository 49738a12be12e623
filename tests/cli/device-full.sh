#!/usr/bin/env bash
# Filling the device: a command that does not fit makes nothing and says so; what fits exactly
# is made; directories still work when data is full; fsck is clean.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M # 32 allocation units of 2 MiB, 5 reserved: 27 free
expect_exit 1 "$FAMFS" creat --device "$img" -s 55m big
expect_stderr_contains "famfs creat: error: big: device full: 5 of 32 allocation units (2097152 bytes each) in use; 57671680 bytes need 28"
expect_stderr_contains "hint: famfs never frees space"
# 28 files in one command: none is made.
files=()
for i in $(seq 1 28); do files+=(-M "f$i,2m,$i"); done
expect_exit 1 "$FAMFS" creat --device "$img" "${files[@]}"
expect_stderr_contains "f28: device full: 32 of 32 allocation units"
[ "$(nentries "$img")" = 0 ] || die "a refused command logged something"
# cp of a tree that does not fit: nothing made.
mkdir -p "$T/tree/a"
head -c $((30 << 20)) /dev/zero >"$T/tree/a/x"
head -c $((30 << 20)) /dev/zero >"$T/tree/y"
expect_exit 1 "$FAMFS" cp --device "$img" -r "$T/tree" tree
expect_stderr_contains "device full"
[ "$(nentries "$img")" = 0 ] || die "a refused cp logged something"
# 27 fit exactly.
unset 'files[54]' 'files[55]'
expect_exit 0 "$FAMFS" creat --device "$img" "${files[@]}"
[ "$(nentries "$img")" = 27 ] || die "27 files"
expect_exit 0 "$FAMFS" verify --device "$img" -m f1,1 -m f27,27
expect_exit 1 "$FAMFS" creat --device "$img" -s 1 late
expect_stderr_contains "late: device full: 32 of 32 allocation units"
expect_exit 1 "$FAMFS" cp --device "$img" "$T/tree/y" .
expect_stderr_contains "device full"
expect_exit 0 "$FAMFS" mkdir --device "$img" still/works -p
expect_exit 0 "$FAMFS" logplay "$img"
expect_stdout_contains "29 log entries; 27 files; 2 directories; 0 errors"
fsck_clean "$img"
expect_stdout_contains "Free space:             0"

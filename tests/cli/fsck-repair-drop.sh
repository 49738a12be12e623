#!/usr/bin/env bash
# Cross-links: fsck names both files; fsck -y leaves them (with a hint); --drop PATH (destructive)
# turns that file's entry INVALID and the other file reads back intact. A --drop path that names
# no file, or a directory, is an operational error and nothing is written.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/repair_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
"$FAMFS" mkdir --device "$img" d          # entry 0
make_files "$img" 3                        # entries 1..3: f1 f2 f3
# f3 claims f1's space: its first extent's offset (entry + 144) set to f1's, CRC restamped.
off1=$("$FAMFS" getmap --json --device "$img" f1 | jq -r '.files[0].extents[0].offset')
"$FAMFS_FSCK_IMAGE" put64 "$img" $(($(entry_at 3) + 144)) "$off1"
"$FAMFS_FSCK_IMAGE" restamp "$img" 3

expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: cross-link: log entry 3 (f3) and log entry 1 (f1) both claim [$(printf '%#x' "$off1"), +0x400000)"
sum=$(meta_sum "$img")
expect_exit 4 "$FAMFS" fsck -y --backup "$T/never.img" "$img"
expect_stdout_contains "cross-links: both files claim the same space; --drop PATH turns one file's entry INVALID"
expect_stderr_contains "hint: famfs fsck -y --drop PATH turns one cross-linked file's entry INVALID"
[ "$(meta_sum "$img")" = "$sum" ] || die "repair wrote without --drop"

expect_exit 8 "$FAMFS" fsck -y --backup "$T/never.img" --drop nope "$img"
expect_stderr_contains "famfs fsck: error: --drop nope: no file of that path in the log"
expect_exit 8 "$FAMFS" fsck -y --backup "$T/never.img" --drop d "$img"
expect_stderr_contains "famfs fsck: error: --drop d: log entry 0 makes it a directory; only files can be dropped"
[ "$(meta_sum "$img")" = "$sum" ] || die "a refused --drop wrote"
[ ! -e "$T/never.img" ] || die "backup file made although nothing was written"

repair_cycle "$img" --drop f3
expect_stdout_contains "  fixed: log entry 3 (f3): dropped as asked (--drop): replaced by an INVALID entry; the file is gone and its space free"
verify_files "$img" 1 2
expect_exit 1 "$FAMFS" verify --device "$img" -S 3 f3

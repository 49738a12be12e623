#!/usr/bin/env bash
# famfs getmap: simple and interleaved maps in text and JSON, meta files, and the error cases of
# upstream's test2 (spec §9.1).
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
"$FAMFS" creat --device "$img" -s 5m f
"$FAMFS" mkdir --device "$img" d

expect_exit 0 "$FAMFS" getmap --device "$img" f
cat >"$T/want" <<'TXT'
File:     f
	size:    5242880
	extents: 1
		0xa00000	6291456
TXT
expect_file_eq "$T/want" "$T/out"
# The log file has a map too.
expect_exit 0 "$FAMFS" getmap --device "$img" .meta/.log
expect_stdout_contains "0x200000	8388608"
expect_exit 0 "$FAMFS" getmap --json --device "$img" f .meta/.superblock
[ "$(jq -r '.files | map(.file) | join(",")' "$T/out")" = "f,.meta/.superblock" ] || die "json files"
[ "$(jq -r '.files[1].extents[0] | "\(.offset) \(.length)"' "$T/out")" = "0 2097152" ] || die "sb map"

expect_exit 2 "$FAMFS" getmap
expect_exit 1 "$FAMFS" getmap --device "$img" nosuch
expect_stderr_contains "nosuch: no such file in famfs"
expect_exit 1 "$FAMFS" getmap --device "$img" d
expect_stderr_contains "d: is a directory; only files have maps"
expect_exit 2 "$FAMFS" getmap "$FAMFS"
expect_stderr_contains "not in a famfs file system"
# One bad file does not hide the good ones.
expect_exit 1 "$FAMFS" getmap --device "$img" nosuch f
expect_stdout_contains "File:     f"

# Interleaved maps (an 8 GiB sparse device: 4 buckets of 2 GiB).
mkfs_img "$T/big.img" 8G
"$FAMFS" creat --device "$T/big.img" -N 3 -B 4 -s 20m il
expect_exit 0 "$FAMFS" getmap --device "$T/big.img" il
expect_stdout_contains "Interleave_Param chunk_size: 2097152"
expect_stdout_contains "Interleaved extent has 3 strips:"
expect_exit 0 "$FAMFS" getmap --json --device "$T/big.img" il
[ "$(jq -r '.files[0] | "\(.type) \(.chunk_size) \(.strips | length)"' "$T/out")" = "interleaved 2097152 3" ] ||
  die "interleaved json: $(cat "$T/out")"

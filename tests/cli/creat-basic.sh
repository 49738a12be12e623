#!/usr/bin/env bash
# famfs creat: placement, attributes exactly as given, re-creating an existing file, randomize
# and verify, --multi, and the error cases of upstream's test0 (spec §9.1) with our exit codes.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 128M
c() { "$FAMFS" creat --device "$img" "$@"; }

# The first file lands at the first data unit, with mode/uid/gid exactly as given (0 included).
expect_exit 0 c -s 4k -m 600 -u 0 -g 4321 f1
"$FAMFS" getmap --json --device "$img" f1 >"$T/m.json"
[ "$(jq -r '.files[0] | "\(.size) \(.mode) \(.uid) \(.gid) \(.type)"' "$T/m.json")" = "4096 0600 0 4321 simple" ] ||
  die "f1 attributes: $(cat "$T/m.json")"
[ "$(jq -r '.files[0].extents[0] | "\(.offset) \(.length)"' "$T/m.json")" = "$((0xa00000)) $((0x200000))" ] ||
  die "f1 placement"
# The default owner is the caller.
expect_exit 0 c -s 3m f2
[ "$("$FAMFS" getmap --json --device "$img" f2 | jq -r '.files[0] | "\(.mode) \(.uid) \(.gid)"')" = "0644 $(id -u) $(id -g)" ] ||
  die "f2 defaults"
[ "$(nentries "$img")" = 2 ] || die "two entries"

# Same size again (or no size): a no-op success; another size: an error, and nothing logged.
expect_exit 0 c -s 4096 f1
expect_exit 0 c f1
expect_exit 1 c -s 8k f1
expect_stderr_contains "famfs creat: error: f1: exists with size 4096, not 8192"
[ "$(nentries "$img")" = 2 ] || die "re-creating logged something"

# Randomize, verify; re-randomize an existing file with another seed.
expect_exit 0 c -s 5m -r -S 42 r1
expect_exit 0 "$FAMFS" verify --device "$img" -S 42 r1
expect_stdout_contains "Success: verified 5242880 bytes in file r1"
expect_exit 1 "$FAMFS" verify --device "$img" -S 41 r1
expect_stderr_contains "r1: data differs from the pattern of seed 41 at offset 0 of 5242880 bytes"
expect_exit 0 c -r -S 7 r1
expect_exit 0 "$FAMFS" verify --device "$img" -S 7 r1
expect_exit 1 "$FAMFS" verify --device "$img" -S 42 r1
# The bytes on the device are upstream's pattern: seed 42 begins 98 5f 52 e2 (spec appendix A).
expect_exit 0 c -s 4k -r -S 42 golden
off=$("$FAMFS" getmap --json --device "$img" golden | jq -r '.files[0].extents[0].offset')
[ "$(dd if="$img" iflag=skip_bytes,count_bytes skip="$off" count=8 status=none | od -An -tx1 | tr -d ' \n')" = 985f52e27afb0c3d ] ||
  die "pattern bytes on the device"
# -r without -S picks a seed and says which.
expect_exit 0 c -s 1m -r rnd
seed=$(sed -nE 's/^randomized 1048576 bytes with seed ([0-9]+): rnd$/\1/p' "$T/out")
[ -n "$seed" ] || die "no seed printed: $(cat "$T/out")"
expect_exit 0 "$FAMFS" verify --device "$img" -S "$seed" rnd

# --multi: partially seeded; SIZE 0 keeps an existing size.
expect_exit 0 c -M m1,2M,42 -M m2,2M -M r1,0,9 -t 2
expect_exit 0 "$FAMFS" verify --device "$img" --multi m1,42 --multi r1,9
expect_stdout_contains "Verify complete for 2 files with 0 errors"
# A bad item is reported; the good ones are still made.
expect_exit 2 c --multi good,4k --multi "$(printf 'x%.0s' {1..80}),4k"
expect_stderr_contains "famfs paths are at most 79"
expect_exit 0 c -s 4k good
n=$(nentries "$img")
expect_exit 1 c --multi good2,4k --multi nodir/x,4k
expect_stderr_contains "nodir/x: parent directory nodir does not exist"
[ "$(nentries "$img")" = $((n + 1)) ] || die "good2 was not created"

# Error cases (upstream test0), with our exit codes: 2 usage, 1 failure.
for c in creat mkdir cp verify logplay getmap; do
  expect_exit 0 "$FAMFS" "$c" -h
  expect_stdout_contains "Usage: famfs $c"
done
expect_exit 2 "$FAMFS" creat
expect_stderr_contains "no file given"
expect_exit 2 c newfile
expect_stderr_contains "newfile: a new file needs a size greater than 0"
expect_exit 2 c -S 1 -s 4k s1
expect_stderr_contains "--seed needs --randomize"
expect_exit 2 c -s 0 z
expect_stderr_contains "--size 0"
expect_exit 2 c -r -S 0 -s 4k z
expect_exit 2 c -r -S 1 -M a,1m
expect_exit 2 c -M a
expect_stderr_contains "--multi a: expected NAME,SIZE[,SEED]"
expect_exit 2 c -M a,1m,1,1
expect_exit 2 c -s 4k -M a,1m
expect_exit 2 c -M a,1m -t 257
expect_exit 2 c -s 1q z
"$FAMFS" mkdir --device "$img" dir
expect_exit 1 c -s 4k dir
expect_stderr_contains "famfs creat: error: dir: is a directory"
# Outside famfs (no --device, a path that is in no famfs mount).
expect_exit 2 "$FAMFS" creat -s 4k "$T/outside"
expect_stderr_contains "not in a famfs file system"
expect_stderr_contains "hint:"
# A relative path outside famfs (test2).
expect_exit 2 bash -c "cd '$T' && '$FAMFS' creat -s 4k relfile"
[ ! -e "$T/relfile" ] || die "a file was made outside famfs"
expect_exit 0 "$FAMFS" verify --device "$img" -S 42 m1
fsck_clean "$img"

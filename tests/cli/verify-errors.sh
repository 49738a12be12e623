#!/usr/bin/env bash
# famfs verify: the error cases of upstream's test0 (spec §9.1), multi mode, plain files.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
v() { "$FAMFS" verify --device "$img" "$@"; }
"$FAMFS" creat --device "$img" -M a,1m,1 -M b,3m,2 -M c,4097,3
"$FAMFS" mkdir --device "$img" d

expect_exit 0 v -S 1 a
expect_exit 0 v -q -S 1 -f a
[ ! -s "$T/out" ] || die "-q printed: $(cat "$T/out")"
expect_exit 0 v -m a,1 -m b,2 -m c,3 -t 3
expect_stdout_contains "Verify complete for 3 files with 0 errors"
expect_exit 0 v -m a,1 -m b,2 -m c,3 -t 0

expect_exit 2 "$FAMFS" verify
expect_exit 2 v a
expect_stderr_contains "--seed is required"
expect_exit 2 v -S 0 a
expect_exit 1 v -S 1 nosuchfile
expect_stderr_contains "nosuchfile: no such file in famfs"
expect_exit 1 v -S 1 d
expect_stderr_contains "d: is a directory"
expect_exit 1 v -S 2 a
expect_stderr_contains "a: data differs from the pattern of seed 2 at offset 0 of 1048576 bytes"
# Multi: one bad seed fails the command, the others are still checked.
expect_exit 1 v -m a,1 -m b,9 -m c,3
expect_stdout_contains "Success: verified 1048576 bytes in file a"
expect_stdout_contains "Verify complete for 3 files with 1 errors"
expect_exit 2 v -m a
expect_stderr_contains "--multi a: expected FILE,SEED"
expect_exit 2 v -m a,1,x
expect_exit 2 v -m a,0
expect_exit 2 v -m a,1 -S 1
expect_exit 2 v -m a,1 -t -1
expect_exit 2 v -m a,1 -t 257

# A damaged byte in the middle is found at its 4-byte word.
off=$("$FAMFS" getmap --json --device "$img" b | jq -r '.files[0].extents[0].offset')
printf '\x00\x00\x00\x00\x00' | dd of="$img" conv=notrunc oflag=seek_bytes seek=$((off + 1000001)) status=none
expect_exit 1 v -S 2 b
expect_stderr_contains "at offset 1000000 of 3145728 bytes"

# A plain file (not in famfs) is read with read(2): a copy of a famfs file verifies.
extract "$img" c "$T/c.copy"
expect_exit 0 "$FAMFS" verify -S 3 "$T/c.copy"
expect_stdout_contains "verified 4097 bytes"
expect_exit 1 "$FAMFS" verify -S 4 "$T/c.copy"
expect_stderr_contains "c.copy: data differs from the pattern of seed 4 at offset 0 of 4097 bytes"
expect_exit 1 "$FAMFS" verify -S 4 "$T/missing"

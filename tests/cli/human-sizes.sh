#!/usr/bin/env bash
# -H/--human: byte sizes in text reports in the short form (1.5G, 512M, 4.0K) on mkfs, fsck,
# getmap, creat -v, verify and flush; the default text stays in bytes (fsck's is upstream's line
# for line, see fsck-compat) and --json stays in bytes with or without -H.
source "$(dirname "$0")/common.sh"

img="$T/dev.img"
mkimg "$img" 64M
expect_exit 0 "$FAMFS" mkfs -H "$img"
expect_stdout_contains "  Device capacity:        64M"
expect_stdout_contains "  Allocated space:        10M"
expect_stdout_contains "  Free space:             54M"
expect_stdout_contains "  log size:          8.0M"

expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "  Device capacity:        67108864"
expect_stdout_contains "  Allocated bytes:        10485760"
expect_exit 0 "$FAMFS" fsck --human "$img"
expect_stdout_contains "  Device capacity:        64M"
expect_stdout_contains "  Bitmap capacity:        64M"
expect_stdout_contains "  Log size in use:          48"
expect_exit 0 "$FAMFS" fsck -H --json "$img"
[ "$(jq .capacity.device_capacity "$T/out")" = 67108864 ] || die "fsck -H --json: $(cat "$T/out")"

expect_exit 0 "$FAMFS" creat -v -H --device "$img" -s 1536k -r -S 7 f
expect_stdout_contains "created f: 1.5M, simple"
expect_stdout_contains "randomized 1.5M with seed 7: f"
expect_exit 0 "$FAMFS" getmap -H --device "$img" f
expect_stdout_contains "size:    1.5M"
grep -qE $'^\t\t0x[0-9a-f]+\t2.0M$' "$T/out" || die "getmap -H extent: $(cat "$T/out")"
expect_exit 0 "$FAMFS" getmap --device "$img" f
expect_stdout_contains "size:    1572864"
expect_exit 0 "$FAMFS" getmap --human --json --device "$img" f
[ "$(jq '.files[0].size' "$T/out")" = 1572864 ] || die "getmap -H --json: $(cat "$T/out")"
expect_exit 0 "$FAMFS" verify -H --device "$img" -S 7 f
expect_stdout_contains "Success: verified 1.5M in file f"
expect_exit 0 "$FAMFS" verify --device "$img" -S 7 f
expect_stdout_contains "Success: verified 1572864 bytes in file f"

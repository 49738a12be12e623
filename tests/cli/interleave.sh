#!/usr/bin/env bash
# Interleaved ("strided") allocation, spec §5.3: strips in distinct buckets with the geometry's
# strip length, data placed by the kernel's chunk rule (checked by rebuilding files from the
# backing file), cp with -N/-B, every invalid combination refused with exit 2, fsck clean.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

# Sparse images; in /dev/shm when possible, as the data written here is large.
dir=$T
if [ -w /dev/shm ]; then
  dir=$(mktemp -d /dev/shm/famfs-interleave.XXXXXX)
  at_exit "rm -rf '$dir'"
fi
img="$dir/dev.img"
mkfs_img "$img" 8G # 4096 units, 4 buckets of 1024 units (2 GiB)
bucket=$((2 << 30))

# 100 MiB over 3 strips, chunk 2 MiB: 50 units, stripe 3 units, 17 stripes: strips of 17 units.
expect_exit 0 "$FAMFS" creat --device "$img" -N 3 -B 4 -s 100m -r -S 5 il
"$FAMFS" getmap --json --device "$img" il >"$T/m.json"
[ "$(jq -r '.files[0] | "\(.type) \(.chunk_size) \(.strips | length)"' "$T/m.json")" = "interleaved 2097152 3" ] ||
  die "map: $(cat "$T/m.json")"
[ "$(jq '[.files[0].strips[] | select(.length != 17 * 2097152)] | length' "$T/m.json")" = 0 ] ||
  die "strip length"
[ "$(jq --argjson b "$bucket" '[.files[0].strips[] | (.offset / $b | floor)] | unique | length' "$T/m.json")" = 3 ] ||
  die "strips share a bucket"
[ "$(jq --argjson b "$bucket" '[.files[0].strips[] | select(((.offset + .length - 1) / $b | floor) != (.offset / $b | floor))] | length' "$T/m.json")" = 0 ] ||
  die "a strip crosses a bucket"
expect_exit 0 "$FAMFS" verify --device "$img" -S 5 il
extract "$img" il "$T/il.bytes"
[ "$(stat -c %s "$T/il.bytes")" = $((100 << 20)) ] || die "extracted size"
expect_exit 0 "$FAMFS" verify -S 5 "$T/il.bytes"

# A 4 MiB chunk: 9 MiB is 5 units, stripes of 2 strips x 2 units, 2 stripes: strips of 4
# units. A file smaller than one chunk is placed contiguously.
expect_exit 0 "$FAMFS" creat --device "$img" -N 2 -B 2 -C 4m -s 9m -r -S 6 il4
[ "$("$FAMFS" getmap --json --device "$img" il4 | jq -r '.files[0] | "\(.chunk_size) \(.strips | map(.length) | unique)"')" = "4194304 [8388608]" ] ||
  die "il4 map"
extract "$img" il4 "$T/il4.bytes"
expect_exit 0 "$FAMFS" verify -S 6 "$T/il4.bytes"
expect_exit 0 "$FAMFS" creat --device "$img" -N 2 -B 2 -C 4m -s 1m small
[ "$("$FAMFS" getmap --json --device "$img" small | jq -r '.files[0].type')" = simple ] || die "small"

# cp with interleave: the copy reads back equal.
head -c $((37 << 20)) /dev/urandom >"$T/src"
expect_exit 0 "$FAMFS" cp --device "$img" -N 4 -B 4 -t 3 --verify "$T/src" ilcp
[ "$("$FAMFS" getmap --json --device "$img" ilcp | jq -r '.files[0].strips | length')" = 4 ] || die "ilcp"
extract "$img" ilcp "$T/ilcp.bytes"
expect_file_eq "$T/src" "$T/ilcp.bytes"

# Invalid combinations: exit 2, a clear message, nothing logged.
n=$(nentries "$img")
bad() { # message options...
  local msg=$1
  shift
  expect_exit 2 "$FAMFS" creat --device "$img" -s 10m "$@" bad
  expect_stderr_contains "$msg"
}
bad "--nbuckets 100: at most 64 buckets" -N 2 -B 100
bad "--chunksize 2000000: not a power of two" -N 2 -B 4 -C 2000000
bad "--chunksize 1048576: not a multiple of the allocation unit" -N 2 -B 4 -C 1m
bad "--nstrips 17: at most 16 strips" -N 17 -B 64
bad "interleaved allocation needs --nstrips" -B 4
bad "interleaved allocation needs --nstrips" -N 0 -B 4
bad "interleaved allocation needs --nbuckets" -N 2
bad "interleaved allocation needs --nstrips" -C 4m
bad "--nstrips 5 exceeds --nbuckets 4" -N 5 -B 4
bad "each bucket must be at least 1073741824 bytes" -N 2 -B 16
expect_exit 2 "$FAMFS" cp --device "$img" -N 2 -B 100 "$T/src" badcp
[ "$(nentries "$img")" = "$n" ] || die "an invalid request logged something"

# Fill with interleaved files until one fails (upstream's stripe_test): the first succeeds,
# the failure is a clear "device full", fsck is clean, and data written then still verifies.
# 4 buckets of 512 units; 255 MiB over 3 strips takes strips of 43 units, 11 per bucket (bucket
# 0 loses 5 units to the superblock and log, which still leaves 11): 44 strips, at most 14
# files.
fill="$dir/fill.img"
mkfs_img "$fill" 4G
i=0
while "$FAMFS" creat --device "$fill" -N 3 -B 4 -s 255m "f$i" 2>"$T/fill.err"; do
  i=$((i + 1))
done
# Buckets are visited in random order, so the greedy fill can stop early: it stops once fewer
# than 3 buckets have room for a strip, i.e. at least 2 buckets are full, and a file takes at most
# one strip of a bucket, so a full bucket means 11 files at least.
[ "$i" -ge 11 ] && [ "$i" -le 14 ] || die "$i files fit, expected 11 to 14"
grep -qE "f$i: device full: found [012] of 3 free strips" "$T/fill.err" || die "fill error: $(cat "$T/fill.err")"
last=f$((i - 1))
expect_exit 0 "$FAMFS" creat --device "$fill" -M "$last,0,12"
expect_exit 0 "$FAMFS" verify --device "$fill" -m "$last,12"
fsck_clean "$fill"
fsck_clean "$img"

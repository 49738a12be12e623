#!/usr/bin/env bash
# Media errors in the CLI: when device memory raises SIGBUS under a command's own mapping (here
# the backing file shrinks right after it is mapped: FAMFS_TEST_SHRINK_DEVICE, see
# core/device.cpp), the command prints one "media error at offset" line plus a hint and exits 3
# (fsck: 8), never dies of the signal. Commands that do not touch the lost range still work.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
"$FAMFS" creat --device "$img" -r -S 1 -s 1m low
"$FAMFS" creat --device "$img" -s 40m pad
"$FAMFS" creat --device "$img" -r -S 2 -s 1m high
high_off=$("$FAMFS" getmap --json --device "$img" high | jq '.files[0].extents[0].offset')
[ "$high_off" -ge $((24 << 20)) ] || die "high is at $high_off, below the cut"
cp "$img" "$T/good.img"

# shrunk SIZE CMD...: runs CMD on a fresh copy of the image that shrinks to SIZE once mapped.
shrunk() {
  local size=$1
  shift
  cp "$T/good.img" "$img"
  FAMFS_TEST_SHRINK_DEVICE=$size "$@"
}
# media_line OFFSET CMD: the exact first line of stderr.
media_line() {
  local want="famfs $2: error: $img: media error at offset $1"
  [ "$(head -n 1 "$T/err")" = "$want" ] || die "stderr: $(cat "$T/err"); want: $want"
  expect_stderr_contains "hint: the device memory there cannot be accessed"
}
cut=$((20 << 20))
hex_high=$(printf '%#x' "$high_off")

# Data lost: the file in the lost range fails, the one below it still verifies.
expect_exit 3 shrunk $cut "$FAMFS" verify --device "$img" -S 2 high
media_line "$hex_high" verify
expect_exit 0 shrunk $cut "$FAMFS" verify --device "$img" -S 1 low
head -c 1M /dev/urandom >"$T/src"
expect_exit 3 shrunk $cut "$FAMFS" cp --device "$img" "$T/src" copied
expect_stderr_contains "media error at offset 0x"
expect_exit 3 shrunk $cut "$FAMFS" creat --device "$img" -r -S 3 -s 1m new
expect_stderr_contains ": media error at offset 0x"

# Metadata lost (only the first page is left): every command that reads the log says so.
expect_exit 3 shrunk 4096 "$FAMFS" logplay "$img"
media_line 0x200000 logplay
expect_exit 3 shrunk 4096 "$FAMFS" getmap --device "$img" low
media_line 0x200000 getmap
expect_exit 3 shrunk 4096 "$FAMFS" verify --device "$img" -S 1 low
media_line 0x200000 verify
expect_exit 8 shrunk 4096 "$FAMFS" fsck "$img"
expect_stderr_contains "famfs fsck: error: $img: media error at offset 0x"
expect_exit 3 shrunk 4096 "$FAMFS" mkfs -f "$img"
expect_stderr_contains "famfs mkfs: error: $img: media error at offset 0x"
# The untouched image still checks clean: the hook only shrinks when asked.
cp "$T/good.img" "$img"
expect_exit 0 "$FAMFS" fsck "$img"

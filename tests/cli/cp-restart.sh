#!/usr/bin/env bash
# An interrupted cp (SIGKILL in the middle) leaves only complete files behind, and re-running
# the same command completes the copy: files already there with the source's size are rewritten
# in place, the rest are created. fsck is clean at every step.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

dir=$T
if [ -w /dev/shm ]; then
  dir=$(mktemp -d /dev/shm/famfs-cp-restart.XXXXXX)
  at_exit "rm -rf '$dir'"
fi
img="$dir/dev.img"
mkdir -p "$dir/src/d"
head -c $((16 << 20)) /dev/urandom >"$dir/base"
for i in $(seq -w 1 24); do { echo "$i"; cat "$dir/base"; } | head -c $((16 << 20)) >"$dir/src/d/f$i"; done
total=25 # the directory and 24 files

# next_index straight from the log header (bytes 40..47 of the log at 2 MiB): cheap to poll.
next_index() { od -An -t u8 -j $((0x200000 + 40)) -N 8 "$img" | tr -d ' '; }

# cp appends entries in batches (every 256 MiB of data here: 16 of the 24 files). Kill it as
# soon as the first batch is in the log, while it is still copying the rest.
partial=0
for attempt in 1 2 3; do
  mkfs_img "$img" 512M
  "$FAMFS" mkdir --device "$img" dest
  "$FAMFS" cp --device "$img" -r "$dir/src/d" dest/ &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && [ "$(next_index)" -le 1 ]; do :; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  n=$(($(nentries "$img") - 1))
  fsck_clean "$img"
  if [ "$n" -gt 1 ] && [ "$n" -lt "$total" ]; then
    partial=1
    break
  fi
done
[ "$partial" = 1 ] || die "never caught the copy in the middle"
# Every file logged so far is complete.
"$FAMFS" logplay --json -v "$img" | jq -r '.created[] | select(startswith("dest/d/"))' >"$T/done"
[ -s "$T/done" ] || die "no file logged before the kill"
while read -r rel; do
  extract "$img" "$rel" "$T/x"
  cmp -s "$T/x" "$dir/src/d/${rel#dest/d/}" || die "$rel logged before its data was complete"
done <"$T/done"
# The same command again completes the copy.
expect_exit 0 "$FAMFS" cp --device "$img" -r --verify "$dir/src/d" dest/
[ "$(nentries "$img")" = $((total + 1)) ] || die "entries after the re-run: $(nentries "$img")"
for i in $(seq -w 1 24); do
  extract "$img" "dest/d/f$i" "$T/x"
  cmp -s "$T/x" "$dir/src/d/f$i" || die "dest/d/f$i differs"
done
fsck_clean "$img"

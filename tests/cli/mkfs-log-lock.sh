#!/usr/bin/env bash
# mkfs takes the log lock (issue 16): it waits while a writer holds it (flock(1) on the image
# holds the same flock(2) lock as creat), and mkfs --force racing creat --device leaves a file
# system that checks clean.
source "$(dirname "$0")/common.sh"

command -v flock >/dev/null || skip "flock missing (util-linux)"
mkimg "$T/dev.img" 64M
"$FAMFS" mkfs "$T/dev.img" >/dev/null

flock "$T/dev.img" sleep 1.5 &
holder=$!
at_exit "kill $holder 2>/dev/null"
sleep 0.3
start=$(date +%s%N)
expect_exit 0 "$FAMFS" mkfs --force "$T/dev.img"
waited=$((($(date +%s%N) - start) / 1000000))
wait "$holder"
[ "$waited" -ge 800 ] || die "mkfs did not wait for the log lock (took $waited ms)"

# The race: creats against mkfs --force; whichever order, the result checks clean.
for round in 1 2 3; do
  for i in 1 2 3 4; do
    "$FAMFS" creat --device "$T/dev.img" -s 4k "f$round-$i" >/dev/null 2>&1 &
  done
  "$FAMFS" mkfs --force "$T/dev.img" >/dev/null
  wait
  expect_exit 0 "$FAMFS" fsck "$T/dev.img"
done

#!/usr/bin/env bash
# Log lengths that are not a power of two of at least 8 MiB are refused with the device
# untouched (upstream smoke test: 1, 11m, 1m); 256m works; mkfs -f without -l is back to 8 MiB.
source "$(dirname "$0")/common.sh"

log_len() { "$FAMFS" fsck -v "$T/dev.img" | awk '$1 == "log_len:" { print $2 }'; }

mkimg "$T/dev.img" 64M
expect_exit 0 "$FAMFS" mkfs "$T/dev.img"
sum=$(sha256sum <"$T/dev.img")
for len in 1 11m 1m 12m 0; do
  expect_exit 2 "$FAMFS" mkfs --force --loglen "$len" "$T/dev.img"
  expect_stderr_contains "famfs mkfs: error: invalid log length"
  expect_stderr_contains "must be a power of two of at least 8 MiB"
  [ "$(sha256sum <"$T/dev.img")" = "$sum" ] || die "--loglen $len changed the device"
  [ "$(log_len)" = 8388608 ] || die "log length changed by --loglen $len"
done
expect_exit 2 "$FAMFS" mkfs --force --loglen 8q "$T/dev.img"
expect_stderr_contains "not a size"

# The smallest device for a 256 MiB log: 2 MiB superblock region + log + one allocation unit.
mkimg "$T/dev.img" 260M
expect_exit 0 "$FAMFS" mkfs --force -l 256m "$T/dev.img"
[ "$(log_len)" = 268435456 ] || die "--loglen 256m"
expect_exit 0 "$FAMFS" fsck "$T/dev.img"
expect_stdout_contains "# of log entries in use: 0 of 493447"
expect_exit 0 "$FAMFS" mkfs -f "$T/dev.img"
[ "$(log_len)" = 8388608 ] || die "mkfs -f without -l should give 8 MiB"

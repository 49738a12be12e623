#!/usr/bin/env bash
# Hostile images: damaged headers and entries that claim impossible things. fsck reports each,
# logplay refuses or reports, and mount either refuses with a clear one-line error or serves the
# sound part; no command crashes or reads outside its mapping (this runs under ASan too).
source "$(dirname "$0")/common.sh"
[ -n "${FAMFS_FSCK_IMAGE:-}" ] || skip "FAMFS_FSCK_IMAGE not set"
img() { "$FAMFS_FSCK_IMAGE" "$@"; }

log=$((0x200000))
entry() { echo $((log + 48 + 544 * $1)); } # device offset of log entry N

fresh() { # a 64 MiB famfs with a directory and two files
  mkimg "$T/dev.img" 64M
  "$FAMFS" mkfs "$T/dev.img" >/dev/null
  "$FAMFS" mkdir --device "$T/dev.img" d
  "$FAMFS" creat --device "$T/dev.img" -s 4k d/a
  "$FAMFS" creat --device "$T/dev.img" -s 3m d/b
}

no_crash() { # the last expect_exit's stderr has no crash or sanitizer report
  if grep -qE "AddressSanitizer|runtime error|Assertion|internal error|Segmentation" "$T/err"; then
    cat "$T/err" >&2
    die "crash report"
  fi
}

mount_refused_or_sound() { # DEV: mount refuses cleanly, or mounts and reading the tree works
  local rc=0
  "$FAMFS" mount "$1" "$T/mnt" >"$T/out" 2>"$T/err" || rc=$?
  no_crash
  if [ "$rc" -eq 0 ]; then
    at_exit "\"$FAMFS\" umount \"$T/mnt\" 2>/dev/null"
    find "$T/mnt" -type f -exec cat {} + >/dev/null 2>"$T/err" || true
    no_crash
    "$FAMFS" umount "$T/mnt"
  else
    [ "$rc" -eq 1 ] || die "mount exit $rc"
    [ "$(wc -l <"$T/err")" -le 2 ] || die "mount error is not one line: $(cat "$T/err")"
    grep -q "^famfs mount: error: " "$T/err" || die "mount error format: $(cat "$T/err")"
  fi
}

mkdir -p "$T/mnt"

echo "case: next_index past the last slot"
fresh
img put64 "$T/dev.img" $((log + 40)) 15425
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/mnt"
expect_stderr_contains "past the last slot"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
no_crash

echo "case: next_index near 2^64"
fresh
img put64 "$T/dev.img" $((log + 40)) 0xfffffffffffffff0
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/mnt"
no_crash

echo "case: a file with a huge size"
fresh
img put64 "$T/dev.img" $(($(entry 1) + 16)) 0x4000000000000000
img restamp "$T/dev.img" 1
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
mount_refused_or_sound "$T/dev.img"

echo "case: an extent past the device end"
fresh
img put64 "$T/dev.img" $(($(entry 2) + 144)) $((62 * 1024 * 1024))
img restamp "$T/dev.img" 2
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
mount_refused_or_sound "$T/dev.img"
expect_exit 0 "$FAMFS" logplay -n "$T/dev.img"

echo "case: an extent over the superblock and log"
fresh
img put64 "$T/dev.img" $(($(entry 1) + 144)) $((0x200000))
img restamp "$T/dev.img" 1
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
mount_refused_or_sound "$T/dev.img"

echo "case: log length disagrees with the superblock"
fresh
img put64 "$T/dev.img" $((log + 8)) $((16 * 1024 * 1024))
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/mnt"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
no_crash

echo "case: superblock log length larger than the device"
fresh
img put64 "$T/dev.img" 24 $((1 << 40))
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/mnt"
no_crash

#!/usr/bin/env bash
# Hostile images: damaged headers and entries that claim impossible things (issue 10's list: a
# log header claiming more entries than fit, next_index past the last slot, huge sizes, extents
# past the device end or over the superblock and log, a log length that disagrees with the
# superblock). For every case all three of fsck, logplay and mount are run: fsck reports it
# (exit 4), logplay refuses or reports it (exit 1, with the reason), and mount either refuses
# with a clear one-line error or serves only the sound part, its trace saying why the rest is
# left out. No command crashes or reads outside its mapping (this runs under ASan too).
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

# mount_refused_or_sound DEV [WHY [HIDDEN]]: mount refuses cleanly, or mounts and reading the
# tree works; then the daemon's trace holds WHY and HIDDEN (a relpath) is not served.
mount_refused_or_sound() {
  local rc=0
  "$FAMFS" mount "$1" "$T/mnt" >"$T/out" 2>"$T/err" || rc=$?
  no_crash
  if [ "$rc" -eq 0 ]; then
    at_exit "\"$FAMFS\" umount \"$T/mnt\" 2>/dev/null"
    find "$T/mnt" -type f -exec cat {} + >/dev/null 2>"$T/err" || true
    no_crash
    [ -e "$T/mnt/d" ] || die "mount does not serve the sound part"
    if [ $# -ge 2 ]; then
      grep -qF -- "$2" "$FAMFS_RUNTIME_DIR"/*.log || die "daemon trace lacks: $2"
    fi
    if [ $# -ge 3 ]; then
      [ ! -e "$T/mnt/$3" ] || die "mount serves $3"
    fi
    "$FAMFS" umount "$T/mnt"
    rm -f "$FAMFS_RUNTIME_DIR"/*.log
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
expect_stderr_contains "past the last slot"
no_crash

echo "case: next_index near 2^64"
fresh
img put64 "$T/dev.img" $((log + 40)) 0xfffffffffffffff0
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/mnt"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
expect_stderr_contains "past the last slot"
no_crash

echo "case: the log header claims more slots than fit (last_index, with a valid checksum)"
fresh
img put64 "$T/dev.img" $((log + 16)) 1000000000
img restamp-log "$T/dev.img"
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
expect_stdout_contains "last index 1000000000"
no_crash
expect_exit 1 "$FAMFS" mount "$T/dev.img" "$T/mnt"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
expect_stderr_contains "last index 1000000000"
no_crash

echo "case: a file with a huge size"
fresh
img put64 "$T/dev.img" $(($(entry 1) + 16)) 0x4000000000000000
img restamp "$T/dev.img" 1
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
expect_stderr_contains "log entry 1: d/a: size 4611686018427387904 is more than its extents hold"
no_crash
mount_refused_or_sound "$T/dev.img" "d/a: size 4611686018427387904 is more than"

echo "case: an extent past the device end"
fresh
img put64 "$T/dev.img" $(($(entry 2) + 144)) $((62 * 1024 * 1024))
img restamp "$T/dev.img" 2
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
expect_stderr_contains "log entry 2: d/b: extent [0x3e00000, +0x400000) runs past the end of the device"
no_crash
mount_refused_or_sound "$T/dev.img" "d/b: extent [0x3e00000, +0x400000) runs past the end"

echo "case: an extent over the superblock and log"
fresh
img put64 "$T/dev.img" $(($(entry 1) + 144)) $((0x200000))
img restamp "$T/dev.img" 1
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
expect_stderr_contains "log entry 1: d/a: extent [0x200000, +0x200000) overlaps the superblock and log"
no_crash
mount_refused_or_sound "$T/dev.img" "d/a: extent [0x200000, +0x200000) overlaps" d/a

echo "case: an extent whose end wraps around 2^64"
fresh
img put64 "$T/dev.img" $(($(entry 1) + 144)) 0xffffffffffe00000
img restamp "$T/dev.img" 1
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
no_crash
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
expect_stderr_contains "runs past the end of the device"
no_crash
mount_refused_or_sound "$T/dev.img" "d/a: extent [0xffffffffffe00000, +0x200000) runs past"

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
expect_exit 1 "$FAMFS" logplay -n "$T/dev.img"
no_crash

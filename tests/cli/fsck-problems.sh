#!/usr/bin/env bash
# Logs built through the log/ API (tests/support/fsck_image.cpp): fsck reports each kind of damage
# by name, with exit 4; the clean image gives 0.
source "$(dirname "$0")/common.sh"
: "${FAMFS_FSCK_IMAGE:?FAMFS_FSCK_IMAGE must point at famfs_fsck_image}"

check() { # SCENARIO EXIT TEXT...
  local name=$1 code=$2
  shift 2
  "$FAMFS_FSCK_IMAGE" scenario "$name" "$T/$name.img"
  expect_exit "$code" "$FAMFS" fsck "$T/$name.img"
  local t
  for t in "$@"; do
    expect_stdout_contains "$t"
  done
  if [ "$code" = 4 ]; then
    expect_stderr_contains "famfs fsck: error: $T/$name.img: 1 error found"
  fi
}

check clean 0 "3 files" "1 directories" "No allocation errors found"
check crosslink 4 \
  "  error: cross-link: log entry 2 (dir/clone) and log entry 1 (dir/original) both claim [0xa00000, +0x200000)" \
  "ERROR: 1 ALLOCATION COLLISIONS FOUND"
check badcrc 4 "  error: log entry 1 at device offset 0x200250: checksum mismatch" \
  "1 bad log entries detected"
check pastend 4 \
  "  error: log entry 0 (too-far): extent 0 [0x3e00000, +0x400000) runs past the end of the device (67108864 bytes)"
check duplicate 4 "  error: log entry 1 (twice): duplicate path; log entry 0 already created it as a file"
check dotdot 4 "  error: log entry 1: dir/../../escape: path escapes the file system root"

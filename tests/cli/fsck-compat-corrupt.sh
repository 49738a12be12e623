#!/usr/bin/env bash
# The corrupted variants of upstream's populated-256m (compat/README.md: one byte XOR-ed in a
# copy). Our verdicts are stricter than upstream's: damage in a famfs is an error (exit 4); no
# superblock magic or an unknown version means nothing can be checked (exit 8). Where upstream
# printed a summary, ours matches it line for line, followed by our list of problems.
source "$(dirname "$0")/common.sh"
: "${FAMFS_FSCK_IMAGE:?FAMFS_FSCK_IMAGE must point at famfs_fsck_image}"

compat_image populated-256m
printf '79c07b3f-5155-4b09-9ffa-ccb9ff775c82\0' >"$T/owner_uuid"
export FAMFS_SYSTEM_UUID_FILE="$T/owner_uuid"
e() { echo $((0x200000 + 48 + 544 * $1 + $2)); } # device offset of byte $2 of log entry $1

variant() { # NAME EXIT TEXT [OFFSET MASK]...
  local name=$1 code=$2 text=$3
  shift 3
  cp --sparse=always "$T/populated-256m.img" "$T/c.img"
  chmod u+w "$T/c.img"
  while [ $# -gt 0 ]; do
    "$FAMFS_FSCK_IMAGE" xor "$T/c.img" "$1" "$2"
    shift 2
  done
  check_variant "$name" "$code" "$text"
}

check_variant() { # NAME EXIT TEXT
  local name=$1 code=$2 text=$3
  expect_exit "$code" "$FAMFS" fsck "$T/c.img"
  if [ "$code" = 8 ]; then
    expect_stderr_contains "$text"
    [ ! -s "$T/out" ] || die "$name: summary printed without a usable superblock"
    return
  fi
  expect_stdout_contains "$text"
  if [ "$code" = 4 ]; then
    expect_stderr_contains "famfs fsck: error: $T/c.img:"
  fi
  # Upstream's summary, when it printed one, is ours up to our problem list.
  local want="$FAMFS_COMPAT_DIR/fsck/corrupt_$name.txt"
  if grep -q '^Famfs Superblock:' "$want"; then
    sed '1d; /^\[exit [0-9]*\]$/d; /^famfs_/d' "$want" >"$T/want"
    sed '/^Problems:$/,$d' "$T/out" >"$T/ours"
    diff -u "$T/want" "$T/ours" || die "$name: summary differs from upstream's"
  fi
}

variant sb_magic 8 "superblock: not a famfs file system (no superblock magic)" 0 0xff
variant sb_version 8 "superblock: version 49 is not supported (this famfs reads version 48)" 8 0x01
variant sb_uuid 4 "error: superblock: checksum mismatch" 0x30 0xff
variant sb_crc 4 "error: superblock: checksum mismatch" 96 0xff
variant sb_alloc_unit 4 "error: superblock: invalid allocation unit 0x201000" 33 0x10
variant sb_devsize 4 "error: superblock: records a device size of 285212672 bytes" 115 0x01
# Not covered by the CRC and no backup to compare with (upstream writes none): undetectable.
variant sb_daxname 0 "primary: /dev/Dax0.0   268435456" 141 0x20
variant log_magic 4 "error: log header at 0x200000: bad magic" $((0x200000)) 0xff
variant log_hdrcrc 4 "error: log header at 0x200000: checksum mismatch" $((0x200018)) 0xff
variant log_nextidx 4 "error: log entry 29 at device offset 0x203dd0: empty slot inside the log" \
  $((0x200028)) 0x10
grep -c "empty slot inside the log" "$T/out" | grep -qx 16 || die "log_nextidx: 16 empty slots"
variant ent_relpath 4 "error: log entry 7 at device offset 0x200f10: checksum mismatch" "$(e 7 40)" 0x20
variant ent_seqnum 4 "error: log entry 7 at device offset 0x200f10: sequence number 71 (expected 7)" \
  "$(e 7 0)" 0x40
expect_stdout_contains "error: log entry 7 at device offset 0x200f10: checksum mismatch"
variant ent_extofs 4 "error: log entry 7 at device offset 0x200f10: checksum mismatch" "$(e 7 146)" 0x01
variant ent_crc 4 "error: log entry 13 at device offset 0x201bd0: checksum mismatch" "$(e 13 536)" 0xff

# collision: entry 9's extent offset set to entry 8's, CRC re-stamped.
cp --sparse=always "$T/populated-256m.img" "$T/c.img"
chmod u+w "$T/c.img"
"$FAMFS_FSCK_IMAGE" put64 "$T/c.img" "$(e 9 144)" 0x1000000
"$FAMFS_FSCK_IMAGE" restamp "$T/c.img" 9
check_variant collision 4 \
  "error: cross-link: log entry 9 (a/2m-exact) and log entry 8 (a/b/c/small) both claim [0x1000000, +0x200000)"

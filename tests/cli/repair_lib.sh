# Helpers for the fsck repair tests (fsck-repair-*.sh, crash-kill.sh), sourced after common.sh
# and tools_lib.sh.
: "${FAMFS_FSCK_IMAGE:?FAMFS_FSCK_IMAGE must point at famfs_fsck_image}"

k_log=$((0x200000))
k_backup_sb=$((0x1ff000))
# entry_at I: device offset of log entry I.
entry_at() { echo $((k_log + 48 + 544 * $1)); }

# damage IMG OFFSET [MASK]: flips bits of one byte.
damage() { "$FAMFS_FSCK_IMAGE" xor "$1" "$2" "${3:-0x01}"; }

# zero_bytes IMG OFFSET COUNT
zero_bytes() {
  dd if=/dev/zero of="$1" bs=1 seek="$2" count="$3" conv=notrunc status=none
}

# make_files IMG N: files f1..fN of 3 MiB, randomized with seeds 1..N (one log entry each).
make_files() {
  local i
  for i in $(seq 1 "$2"); do
    "$FAMFS" creat --device "$1" -s 3m -r -S "$i" "f$i" >/dev/null
  done
}

# verify_files IMG I...: fI still holds the data of seed I.
verify_files() {
  local img=$1 i
  shift
  for i in "$@"; do
    expect_exit 0 "$FAMFS" verify --device "$img" -S "$i" "f$i"
  done
}

# meta_sum IMG: checksum of the superblock region and an 8 MiB log (to prove nothing was written).
meta_sum() { head -c $((k_log + 0x800000)) "$1" | sha256sum; }

_repairs=0
# repair_cycle IMG [fsck -y options...]: fsck finds errors (4), fsck -y fixes them (1), fsck is
# then clean (0). The backup file of the repair is $T/backup.N.img; its stdout stays in $T/repair.
repair_cycle() {
  local img=$1
  shift
  expect_exit 4 "$FAMFS" fsck "$img"
  _repairs=$((_repairs + 1))
  expect_exit 1 "$FAMFS" fsck -y --backup "$T/backup.$_repairs.img" "$@" "$img"
  cp "$T/out" "$T/repair"
  expect_stdout_contains "Saved the superblock region and the log to $T/backup.$_repairs.img"
  expect_stdout_contains "no errors left"
  expect_exit 0 "$FAMFS" fsck "$img"
  cp "$T/repair" "$T/out"
}

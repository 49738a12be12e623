# Sourced by every real-FUSE test: cli/common.sh plus mount helpers. Each test gets its own
# mount point, so tests run in parallel.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/common.sh"

[ -e /dev/fuse ] || skip "/dev/fuse missing"
[ "$(id -u)" -eq 0 ] || command -v fusermount3 >/dev/null || skip "not root and no fusermount3"

# Daemon trace and pid files stay inside the test directory.
export FAMFS_RUNTIME_DIR="$T/run"
# The test-only helper (tests/support/famfs_test_tool.cpp): appends log entries, checks reads.
# ctest sets FAMFS_TEST_TOOL; by hand, it is found next to the famfs binary's build tree.
TT="${FAMFS_TEST_TOOL:-$(dirname "$FAMFS")/../tests/famfs_test_tool}"
# The first data allocation unit with the default 8 MiB log, and the allocation unit.
AU=$((0x200000))
DATA0=$((0xa00000))

# fuse_mkfs IMG SIZE: a fresh famfs on a sparse backing file.
fuse_mkfs() {
  rm -f "$1"
  "$FAMFS" mkfs --size "$2" "$1" >/dev/null
}

# devbytes IMG OFFSET LEN: LEN bytes of the backing file from byte OFFSET, to stdout.
devbytes() {
  dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=1M status=none
}

# putbytes IMG OFFSET FILE: writes FILE into the backing file at byte OFFSET.
putbytes() {
  dd if="$3" of="$1" oflag=seek_bytes seek="$2" bs=1M conv=notrunc status=none
}

# expect_eperm CMD...: CMD fails, saying "Operation not permitted".
expect_eperm() {
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" -ne 0 ] || die "expected failure: $*"
  grep -q "Operation not permitted" "$T/err" || {
    cat "$T/err" >&2
    die "expected EPERM from: $*"
  }
}

# bad_entry_image IMG: a fresh famfs with files a, b and c logged in that order, where a flipped
# byte of b's path breaks entry 1's checksum: replay stops there and only a is served.
bad_entry_image() {
  fuse_mkfs "$1" 64M
  "$TT" file "$1" a 10 0644 0 0 simple $DATA0+$AU
  "$TT" file "$1" b 10 0644 0 0 simple $((DATA0 + AU))+$AU
  "$TT" file "$1" c 10 0644 0 0 simple $((DATA0 + 2 * AU))+$AU
  printf 'X' | dd of="$1" bs=1 seek=$((0x200000 + 48 + 544 + 40)) conv=notrunc status=none
}

# famfs_mount DEV MNT [options...]: mounts in the foreground daemon mode, in the background,
# logging to $T/fuse.log, and waits (10 s) for the mount to appear. With FAMFS_HOST=FILE set
# (e.g. `FAMFS_HOST="$T/hostB" famfs_mount ...`) the mount runs as the host whose system UUID
# is in FILE (the global --system-uuid-file), so several hosts share one machine. Sets
# FAMFS_MOUNT_PID to the daemon's pid.
famfs_mount() {
  local dev=$1 mnt=$2
  shift 2
  mkdir -p "$mnt"
  local host=()
  if [ -n "${FAMFS_HOST:-}" ]; then
    host=(--system-uuid-file "$FAMFS_HOST")
  fi
  "$FAMFS" "${host[@]}" mount --foreground "$@" "$dev" "$mnt" >>"$T/fuse.log" 2>&1 &
  local pid=$!
  FAMFS_MOUNT_PID=$pid
  at_exit "famfs_cleanup_mount '$mnt' $pid"
  local i
  for ((i = 0; i < 100; i++)); do
    if grep -qF " $(realpath "$mnt") " /proc/self/mountinfo; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$T/fuse.log" >&2
      die "famfs mount daemon died"
    fi
    sleep 0.1
  done
  cat "$T/fuse.log" >&2
  die "mount of $mnt did not appear in 10 s"
}

famfs_cleanup_mount() {
  local mnt=$1 pid=$2
  if grep -qF " $(realpath "$mnt" 2>/dev/null || echo "$mnt") " /proc/self/mountinfo; then
    umount "$mnt" 2>/dev/null || fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if grep -qE "AddressSanitizer|runtime error:|ThreadSanitizer" "$T/fuse.log" 2>/dev/null; then
    cat "$T/fuse.log" >&2
    echo "FAIL: sanitizer report in the daemon log" >&2
    exit 1
  fi
}

# clobber_by_other_mkfs IMG MNT: another host ("hostC") makes a new famfs and its superblock and
# log land over IMG; waits (2 s) until the mount on MNT notices, and checks that `famfs status`
# exits 1 saying the file system UUID changed.
clobber_by_other_mkfs() {
  local img=$1 mnt=$2 i
  "$FAMFS" --system-uuid-file "$T/hostC" mkfs --size 64M "$T/other.img" >/dev/null
  devbytes "$T/other.img" 0 $((0xa00000)) >"$T/meta"
  putbytes "$img" 0 "$T/meta"
  for ((i = 0; i < 20; i++)); do
    "$FAMFS" status "$mnt" >/dev/null 2>&1 || break
    sleep 0.1
  done
  expect_exit 1 "$FAMFS" status "$mnt"
  grep -q "^health: *CLOBBERED: the file system UUID changed" "$T/out" || die "status: $(cat "$T/out")"
}

# set_enable_uring Y|N: switches FUSE over io_uring on or off in the kernel for the mounts made
# from now on (a global switch: the tests that use it run alone, ctest RUN_SERIAL) and puts the
# old value back when the test exits. Skips where the kernel has no FUSE over io_uring.
ENABLE_URING=/sys/module/fuse/parameters/enable_uring
set_enable_uring() {
  [ -e "$ENABLE_URING" ] || skip "this kernel has no FUSE over io_uring ($ENABLE_URING)"
  [ "$(id -u)" = 0 ] || skip "switching $ENABLE_URING needs root"
  if [ -z "${_old_enable_uring:-}" ]; then
    _old_enable_uring=$(cat "$ENABLE_URING")
    at_exit "echo '$_old_enable_uring' >'$ENABLE_URING'"
  fi
  echo "$1" >"$ENABLE_URING"
  [ "$(cat "$ENABLE_URING")" = "$1" ] || die "$ENABLE_URING did not take $1"
}

# expect_transport MNT NAME: famfs status (text and JSON) says MNT's daemon uses transport NAME.
expect_transport() {
  expect_exit 0 "$FAMFS" status "$1"
  grep -qx "transport: *$2" "$T/out" || die "status of $1: $(grep transport "$T/out")"
  expect_exit 0 "$FAMFS" status --json "$1"
  [ "$(jq -r .transport "$T/out")" = "$2" ] || die "status --json of $1: $(cat "$T/out")"
}

# Sourced by every CLI end-to-end test: strict mode, a fresh $T, $FAMFS, and assertion helpers.
set -euo pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]}:${LINENO}: ${BASH_COMMAND}" >&2' ERR

: "${FAMFS:?FAMFS must point at the famfs binary}"
base="${FAMFS_TEST_TMP:-/tmp/famfs-tests}"
mkdir -p "$base"
T="$(mktemp -d "$base/$(basename "$0" .sh).XXXXXX")"
# Every test is its own "host": its own system UUID file, so tests never touch /opt/famfs.
export FAMFS_SYSTEM_UUID_FILE="$T/system_uuid"

_at_exit_cmds=()
# Adds a command to run when the test exits (in reverse order).
at_exit() { _at_exit_cmds+=("$*"); }
_run_at_exit() {
  local rc=$?
  local i
  for ((i = ${#_at_exit_cmds[@]} - 1; i >= 0; i--)); do
    eval "${_at_exit_cmds[$i]}" || true
  done
  if [ "$rc" -eq 0 ]; then
    rm -rf "$T"
  elif [ "$rc" -ne 77 ]; then
    echo "test files kept in $T" >&2
  fi
  exit "$rc"
}
trap _run_at_exit EXIT

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

die() {
  echo "FAIL: $*" >&2
  exit 1
}

# small_tmpfs DIR: a 64 MiB tmpfs of the test's own on DIR (made here), for running a backing
# file system out of space; unmounted at exit. Skips the test where it cannot be mounted.
small_tmpfs() {
  [ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
  mkdir -p "$1"
  mount -t tmpfs -o size=64m famfs-test-tmpfs "$1" || skip "cannot mount a tmpfs"
  at_exit "umount -l '$1'"
}

# mkimg PATH SIZE: a sparse backing file.
mkimg() {
  rm -f "$1"
  truncate -s "$2" "$1"
}

# not CMD...: succeeds when CMD fails.
not() {
  if "$@"; then
    die "expected failure: $*"
  fi
}

# expect_exit CODE CMD...: runs CMD, keeping stdout in $T/out and stderr in $T/err.
expect_exit() {
  local want=$1
  shift
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "--- stdout" >&2
    cat "$T/out" >&2
    echo "--- stderr" >&2
    cat "$T/err" >&2
    die "exit $rc, expected $want: $*"
  fi
}

# expect_stderr_contains TEXT: the last expect_exit's stderr holds TEXT.
expect_stderr_contains() {
  grep -qF -- "$1" "$T/err" || {
    cat "$T/err" >&2
    die "stderr lacks: $1"
  }
}

# expect_stdout_contains TEXT
expect_stdout_contains() {
  grep -qF -- "$1" "$T/out" || {
    cat "$T/out" >&2
    die "stdout lacks: $1"
  }
}

# expect_file_eq A B: identical bytes.
expect_file_eq() {
  cmp -s "$1" "$2" || die "files differ: $1 $2"
}

# compat_image NAME: decompresses ../shared/compat/NAME.img.zst into $T/NAME.img (skips when the
# compat folder is absent).
compat_image() {
  local dir="${FAMFS_COMPAT_DIR:-}"
  [ -n "$dir" ] && [ -f "$dir/$1.img.zst" ] || skip "compat image $1 not available"
  command -v zstd >/dev/null || skip "zstd not installed"
  zstd -q -d --long=27 -f "$dir/$1.img.zst" -o "$T/$1.img"
}

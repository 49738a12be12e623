#!/usr/bin/env bash
# The progress bar of creat -r, verify, check --data and cp: one implementation (cli/progress.hpp)
# on stderr when it is a terminal and the command moves at least 64 MiB; none when stderr is not
# a terminal, with verify -q, or with check --json (whose stdout stays plain JSON).
# FAMFS_PROGRESS=1 stands in for a terminal; `script` gives one real terminal run.
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "no jq"

bar="100% 64/64 MiB"
mkimg "$T/dev.img" 256M
"$FAMFS" mkfs "$T/dev.img" >/dev/null
famfs_mount "$T/dev.img" "$T/mnt"

# stderr not a terminal: no bar.
expect_exit 0 "$FAMFS" creat -s 64m -r -S 5 "$T/mnt/quiet"
not grep -qF "MiB" "$T/err"
expect_exit 0 "$FAMFS" verify -S 5 "$T/mnt/quiet"
not grep -qF "MiB" "$T/err"

export FAMFS_PROGRESS=1
expect_exit 0 "$FAMFS" creat -s 64m -r -S 7 "$T/mnt/big"
expect_stderr_contains "$bar"
expect_exit 0 "$FAMFS" verify -S 7 "$T/mnt/big"
expect_stderr_contains "$bar"
expect_stdout_contains "Success: verified"
expect_exit 0 "$FAMFS" verify -q -S 7 "$T/mnt/big"
[ ! -s "$T/err" ] || die "verify -q printed: $(cat "$T/err")"
# A file outside famfs (read with read(2)) too: the copy read back through the mount.
head -c 64M "$T/mnt/big" >"$T/copy"
expect_exit 0 "$FAMFS" verify -S 7 "$T/copy"
expect_stderr_contains "$bar"
# Small jobs: no bar.
expect_exit 0 "$FAMFS" creat -s 1m -r -S 3 "$T/mnt/small"
not grep -qF "MiB" "$T/err"

expect_exit 0 "$FAMFS" check --data "$T/mnt"
expect_stderr_contains "% "
expect_stdout_contains "5 files' data compared" # and .meta's two
expect_exit 0 "$FAMFS" check --data --json "$T/mnt"
not grep -qF "MiB" "$T/err"
[ "$(jq .data_checked "$T/out")" = 5 ] || die "check --json: $(cat "$T/out")"

expect_exit 0 "$FAMFS" cp "$T/copy" "$T/mnt/copied"
expect_stderr_contains "$bar"
FAMFS_PROGRESS=0 expect_exit 0 "$FAMFS" verify -S 7 "$T/mnt/copied"
not grep -qF "MiB" "$T/err"
unset FAMFS_PROGRESS

# A real terminal (script(1) runs the command on a pseudo-terminal).
if command -v script >/dev/null; then
  script -qec "'$FAMFS' verify -S 7 '$T/mnt/big'" /dev/null >"$T/tty" </dev/null
  grep -qF "$bar" "$T/tty" || die "no bar on a terminal: $(cat -v "$T/tty")"
fi

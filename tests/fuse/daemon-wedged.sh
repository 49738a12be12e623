#!/bin/bash
# No command hangs on a wedged daemon (issue 16): with the mount's daemon stopped (SIGSTOP),
# status, creat, logplay, check, verify and flush return within FAMFS_DAEMON_TIMEOUT with one error naming the
# daemon's pid and a hint (exit 1; check 8); after SIGCONT all is well. On /dev/fuse: under FUSE
# over io_uring the kernel hands a request to a ring entry at once and cannot abandon it, so the
# command prints the same error on time but its process ends only when the daemon resumes
# (famfs-mount(1), Transport); this test holds whatever enable_uring says.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
"$FAMFS" creat --device "$T/dev.img" -r -S 3 -s 1m f
famfs_mount "$T/dev.img" "$T/mnt" --transport dev-fuse
cat "$T/mnt/f" >/dev/null # looked up and opened once: the wedged reads below reach the daemon
pid=$FAMFS_MOUNT_PID
mnt=$(realpath "$T/mnt")
at_exit "kill -CONT $pid 2>/dev/null"
export FAMFS_DAEMON_TIMEOUT=1

# expect_timeout CODE CMD...: CMD exits CODE within 4 s, naming the daemon and its pid.
expect_timeout() {
  local want=$1
  shift
  local start elapsed
  start=$(date +%s%N)
  expect_exit "$want" timeout -s KILL 20 "$@"
  elapsed=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed" -lt 4000 ] || die "$* took $elapsed ms"
  expect_stderr_contains "$mnt: the famfs daemon (pid $pid) did not answer within 1 s"
  expect_stderr_contains "hint: it is stopped or stuck: resume it (kill -CONT $pid)"
}

kill -STOP "$pid"
expect_timeout 1 "$FAMFS" status "$T/mnt"
expect_stderr_contains "famfs status: error:"
expect_timeout 1 "$FAMFS" creat -s 4k "$T/mnt/x"
expect_stderr_contains "famfs creat: error:"
expect_timeout 1 "$FAMFS" logplay "$T/mnt"
expect_timeout 8 "$FAMFS" check "$T/mnt"
expect_timeout 1 "$FAMFS" verify -S 3 -f "$T/mnt/f"
expect_timeout 1 "$FAMFS" flush "$T/mnt/f"
kill -CONT "$pid"

expect_exit 0 "$FAMFS" status "$T/mnt"
expect_stdout_contains "health:          healthy"
expect_exit 0 "$FAMFS" creat -s 4k "$T/mnt/x"
[ "$(stat -c %s "$T/mnt/x")" = 4096 ] || die "x not created after SIGCONT"
expect_exit 0 "$FAMFS" check "$T/mnt"
expect_exit 0 "$FAMFS" verify -S 3 -f "$T/mnt/f"
expect_exit 0 "$FAMFS" flush "$T/mnt/f"

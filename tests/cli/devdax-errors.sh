#!/usr/bin/env bash
# devdax through libdaxctl, the paths that run without dax hardware: a missing /dev/daxX.Y, a
# character device that is not dax, --set-daxmode on things that have no dax mode, and the
# --famfs-abi choices. Each failure is one line on stderr naming the device, exit 1.
source "$(dirname "$0")/common.sh"

dax=/dev/dax99.0
[ -e "$dax" ] && skip "$dax exists on this host"
mkdir "$T/mnt"

# one_line_error NEEDLE: the last command's stderr is exactly one line and holds NEEDLE.
one_line_error() {
  expect_stderr_contains "$1"
  [ "$(wc -l <"$T/err")" -eq 1 ] || {
    cat "$T/err" >&2
    die "expected a one-line error"
  }
}

expect_exit 1 "$FAMFS" mkfs "$dax"
one_line_error "$dax: no such dax device"
expect_exit 1 "$FAMFS" mount "$dax" "$T/mnt"
one_line_error "$dax: no such dax device"
expect_exit 1 "$FAMFS" mkfs --set-daxmode "$dax"
one_line_error "$dax: no such dax device"
# --size never creates a regular file named like a dax device.
expect_exit 1 "$FAMFS" mkfs --size 1g "$dax"
one_line_error "$dax: no such dax device"
[ ! -e "$dax" ] || die "mkfs --size created $dax"
expect_exit 1 "$FAMFS" mount --set-daxmode "$dax" "$T/mnt"
one_line_error "$dax: no such dax device"
# Nothing was mounted.
! grep -qF " $T/mnt " /proc/self/mountinfo || die "$T/mnt got mounted"

# A character device that libdaxctl does not know.
expect_exit 1 "$FAMFS" mkfs /dev/null
one_line_error "/dev/null: not a dax device known to libdaxctl"
expect_exit 1 "$FAMFS" mount /dev/null "$T/mnt"
one_line_error "/dev/null: not a dax device known to libdaxctl"

# --set-daxmode on a regular backing file: there is no mode to set, and mkfs does not run.
mkimg "$T/dev.img" 64M
expect_exit 1 "$FAMFS" mkfs --set-daxmode "$T/dev.img"
one_line_error "$T/dev.img: --set-daxmode applies only to dax character devices"
expect_exit 8 "$FAMFS" fsck "$T/dev.img" # still no file system there
expect_stderr_contains "no superblock magic"

# --famfs-abi: the table's names are accepted, anything else is a usage error.
expect_exit 2 "$FAMFS" mount --famfs-abi v6 "$T/dev.img" "$T/mnt"
# A draft revision of the table (kabi44) is not offered.
expect_exit 2 "$FAMFS" mount --famfs-abi kabi44 "$T/dev.img" "$T/mnt"
expect_exit 0 "$FAMFS" mount --help
expect_stdout_contains "--famfs-abi"
expect_stdout_contains "--famfs-abi-any-minor"
expect_stdout_contains "--set-daxmode"
expect_exit 0 "$FAMFS" mkfs --help
expect_stdout_contains "--set-daxmode"
echo "devdax-errors: ok"

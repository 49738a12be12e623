#!/bin/bash
# famfs umount by a user who may not unmount (not root, not the user who mounted) says
# "permission denied" and names who mounted it (not "busy"), and leaves the mount alone.
source "$(dirname "$0")/common.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
[ "$(id -u)" = 0 ] || skip "needs root to mount as another user than the one unmounting"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt"
chmod 755 "$T"
expect_exit 0 "$FAMFS" mount "$T/dev.img" "$T/mnt"
at_exit "umount -l '$T/mnt' 2>/dev/null"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
as_nobody "$FAMFS" --version >/dev/null 2>&1 || skip "user nobody cannot run $FAMFS"

expect_exit 1 as_nobody "$FAMFS" umount "$T/mnt"
expect_stderr_contains "famfs umount: error: $T/mnt: permission denied: mounted by root; only root or that user may unmount it"
expect_stderr_contains "hint: run it as root: sudo famfs umount $T/mnt"
not grep -qi "busy" "$T/err"
grep -qF " $(realpath "$T/mnt") " /proc/self/mountinfo || die "the mount went away"
expect_exit 1 as_nobody "$FAMFS" umount --lazy "$T/mnt"
expect_stderr_contains "permission denied"

expect_exit 0 "$FAMFS" umount "$T/mnt"

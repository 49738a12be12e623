#!/bin/bash
# Where FUSE over io_uring is not to be used, a mount serves through /dev/fuse and says so:
# with enable_uring=N famfs mount prints a one-line hint on how to switch it on; with
# enable_uring=Y and --transport dev-fuse there is no hint and status says /dev/fuse. Either way
# the same bytes come back, and the old enable_uring value is put back.
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "jq missing"

fuse_mkfs "$T/dev.img" 64M
head -c 3000000 /dev/urandom >"$T/f"
mkdir "$T/mnt"
at_exit "umount -l '$T/mnt' 2>/dev/null"

set_enable_uring N
expect_exit 0 "$FAMFS" mount "$T/dev.img" "$T/mnt"
[ "$(grep -c "hint:" "$T/out")" = 1 ] || die "no hint: $(cat "$T/out")"
grep -qF "famfs mount: hint: this kernel has FUSE over io_uring switched off; \`echo Y > $ENABLE_URING\`" "$T/out" \
  || die "hint: $(cat "$T/out")"
expect_transport "$T/mnt" /dev/fuse
expect_exit 0 "$FAMFS" cp "$T/f" "$T/mnt/f"
dd if="$T/mnt/f" bs=4k status=none | cmp - "$T/f" || die "reads through /dev/fuse differ"
expect_exit 0 timeout 20 "$FAMFS" umount "$T/mnt"

set_enable_uring Y
expect_exit 0 "$FAMFS" mount --transport dev-fuse "$T/dev.img" "$T/mnt"
! grep -q "hint:" "$T/out" || die "hint with --transport dev-fuse: $(cat "$T/out")"
expect_transport "$T/mnt" /dev/fuse
grep -q "serving through /dev/fuse as asked" "$T/run/"*.log || die "trace: $(cat "$T/run/"*.log)"
dd if="$T/mnt/f" bs=1M status=none | cmp - "$T/f" || die "reads through /dev/fuse differ"
expect_exit 0 timeout 20 "$FAMFS" umount "$T/mnt"

# A bad --transport is a usage error.
expect_exit 2 "$FAMFS" mount --transport carrier-pigeon "$T/dev.img" "$T/mnt"

#!/usr/bin/env bash
# A failed mkfs leaves nothing behind: a size that does not parse, a size larger than the free
# space of the backing file system (checked before creating), and a failure after the backing file
# was created all leave no file; a file that existed before is never removed or truncated.
source "$(dirname "$0")/common.sh"

expect_exit 2 "$FAMFS" mkfs --size 16000000t "$T/x.img"
expect_stderr_contains "16000000t: size too large"
[ ! -e "$T/x.img" ] || die "mkfs --size 16000000t left $T/x.img"

small="$T/small"
small_tmpfs "$small"

expect_exit 1 "$FAMFS" mkfs --size 100t "$small/x.img"
expect_stderr_contains "famfs mkfs: error: $small/x.img: 100 TiB is larger than the 64 MiB free on $small"
not grep -qi "mmap\|Cannot allocate" "$T/err"
[ -z "$(ls -A "$small")" ] || die "mkfs --size 100t left: $(ls -A "$small")"

# An existing file is neither removed nor truncated when growing it does not fit.
head -c 1048576 /dev/urandom >"$small/pre.img"
sum=$(md5sum <"$small/pre.img")
expect_exit 1 "$FAMFS" mkfs --size 100t "$small/pre.img"
expect_stderr_contains "100 TiB is larger than the 63 MiB free on $small"
[ "$(md5sum <"$small/pre.img")" = "$sum" ] || die "mkfs changed $small/pre.img"
rm "$small/pre.img"

# A failure after the file was created (ftruncate past RLIMIT_FSIZE gives EFBIG) removes it.
expect_exit 1 bash -c "trap '' XFSZ; ulimit -f 1024; exec \"\$0\" mkfs --size 64m \"\$1\"" \
  "$FAMFS" "$small/y.img"
expect_stderr_contains "$small/y.img: File too large"
[ ! -e "$small/y.img" ] || die "a failed mkfs left $small/y.img"
# ... but an existing file that fails to grow stays (at its size).
truncate -s 1m "$small/z.img"
expect_exit 1 bash -c "trap '' XFSZ; ulimit -f 1500; exec \"\$0\" mkfs --size 64m \"\$1\"" \
  "$FAMFS" "$small/z.img"
[ "$(stat -c %s "$small/z.img")" = 1048576 ] || die "mkfs changed the size of $small/z.img"

# What fits works, and stays.
expect_exit 0 "$FAMFS" mkfs --size 32m "$small/ok.img"
expect_exit 0 "$FAMFS" fsck "$small/ok.img"

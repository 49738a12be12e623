#!/usr/bin/env bash
# famfs cp writes a regular backing file through its descriptor (core/device_io.cpp), never by
# faulting the mapping page by page: copy_file_range(2) when the source is on the backing file's
# own file system, read(2) and pwrite(2) when it is not. Both give the source's exact bytes (odd
# sizes; a tree copied on several threads), and on both a full backing file system is "no space left on the backing file system" (exit 1) with
# nothing logged.
source "$(dirname "$0")/common.sh"
small_tmpfs "$T/a" # the backing file, and sources on its file system
small_tmpfs "$T/b" # sources on another file system
img="$T/a/dev.img"
expect_exit 0 "$FAMFS" mkfs --size 48m "$img"
head -c 3000001 /dev/urandom >"$T/a/same"
head -c 2999999 /dev/urandom >"$T/b/other"
mkdir -p "$T/b/tree/sub"
for i in 1 2 3 4 5 6 7; do head -c $((i * 4093)) /dev/urandom >"$T/b/tree/sub/f$i"; done

# strace, when present, shows which path each copy took.
# LeakSanitizer cannot run under ptrace: the traced command of a sanitizer build skips it.
traced() {
  if command -v strace >/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -o "$T/trace" -e trace=copy_file_range,pwrite64 "$@"
  else
    "$@"
  fi
}
expect_exit 0 traced "$FAMFS" cp --device "$img" --verify -v "$T/a/same" same
if [ -f "$T/trace" ]; then
  grep -q 'copy_file_range(.* = 3000001$' "$T/trace" || die "same file system: $(cat "$T/trace")"
  not grep -q pwrite64 "$T/trace"
  rm "$T/trace"
fi
expect_exit 0 traced "$FAMFS" cp --device "$img" --verify "$T/b/other" other
if [ -f "$T/trace" ]; then
  grep -q 'copy_file_range(.* EXDEV' "$T/trace" || die "other file system: $(cat "$T/trace")"
  grep -q 'pwrite64(' "$T/trace" || die "no pwrite: $(cat "$T/trace")"
fi
expect_exit 0 "$FAMFS" cp --device "$img" -r -t 3 --verify "$T/b/tree" tree
expect_exit 0 "$FAMFS" cp --device "$img" -c "$T/a/same" same
expect_exit 0 "$FAMFS" cp --device "$img" -c -r "$T/b/tree" .
expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "9 files"

# A full backing file system, on both paths: no space, nothing logged, nothing else changed.
dd if=/dev/zero of="$T/a/filler" bs=1M status=none 2>/dev/null || true # until full
[ "$(stat -f -c %a "$T/a")" = 0 ] || die "the tmpfs is not full"
for src in "$T/a/same" "$T/b/other"; do
  expect_exit 1 "$FAMFS" cp --device "$img" "$src" "full-$(basename "$src")"
  expect_stderr_contains "$img: no space left on the backing file system"
  not grep -qi "media error" "$T/err"
done
expect_exit 0 "$FAMFS" fsck "$img"
expect_stdout_contains "9 files"
rm "$T/a/filler"
expect_exit 0 "$FAMFS" cp --device "$img" --verify "$T/a/same" full-same

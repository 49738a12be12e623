#!/usr/bin/env bash
# Upstream famfs's command lines mean here what they mean there (src/famfs_cli.c,
# src/mkfs.famfs.c): fsck -h is --human, -? is help on every command, fsck -B N, -m and -r,
# --fuse accepted and --nofuse (-F) refused on mkfs, fsck and mount.
source "$(dirname "$0")/common.sh"

mkimg "$T/dev.img" 64M
# upstream: mkfs.famfs --fuse DEV (--fuse selects the FUSE path; it is the only one here)
expect_exit 0 "$FAMFS" mkfs --fuse "$T/dev.img"
# upstream: mkfs.famfs -F DEV / --nofuse (the v1 kernel module): a clear error, nothing written
expect_exit 1 "$FAMFS" mkfs -F -f "$T/dev.img"
expect_stderr_contains "famfs mkfs: error: --nofuse: the famfs v1 kernel module is not supported"
expect_exit 1 "$FAMFS" mkfs --nofuse -f "$T/dev.img"

# upstream: famfs fsck -h -B 8 DEV (smoke/test0.sh): -h is --human, so this checks (a false
# success before: it printed help and exited 0).
expect_exit 0 "$FAMFS" fsck -h -B 8 "$T/dev.img"
expect_stdout_contains "Famfs Superblock:"
expect_stdout_contains "Stripe bucket info:"
[ "$(grep -c '^  Bitmap range ' "$T/out")" -eq 8 ] || die "fsck -B 8: $(cat "$T/out")"
grep -q "Size: *8.0M" "$T/out" || die "fsck -h: sizes not human: $(cat "$T/out")"
# The superblock and the 8 MiB log fill range 0 and 2 MiB of range 1; the others are free.
grep -A2 '^  Bitmap range 0' "$T/out" | grep -q "In use: 8.0M" || die "range 0: $(cat "$T/out")"
grep -A2 '^  Bitmap range 1' "$T/out" | grep -q "In use: 2.0M" || die "range 1: $(cat "$T/out")"
grep -A2 '^  Bitmap range 7' "$T/out" | grep -q "In use: *0" || die "range 7: $(cat "$T/out")"
expect_exit 16 "$FAMFS" fsck -B 0 "$T/dev.img"
# upstream: famfs fsck --human DEV
expect_exit 0 "$FAMFS" fsck --human "$T/dev.img"
# upstream: famfs fsck -m DEV and famfs fsck -r DEV (metadata by mmap or by read): same report
expect_exit 0 "$FAMFS" fsck -m "$T/dev.img"
mv "$T/out" "$T/by-mmap"
expect_exit 0 "$FAMFS" fsck -r "$T/dev.img"
cmp "$T/by-mmap" "$T/out" || die "fsck -r and -m disagree"
expect_exit 16 "$FAMFS" fsck -m -r "$T/dev.img"
# A damaged entry is found by both.
"$FAMFS" creat --device "$T/dev.img" -s 4k f >/dev/null
printf 'X' | dd of="$T/dev.img" bs=1 seek=$((0x200000 + 48 + 60)) conv=notrunc status=none
expect_exit 4 "$FAMFS" fsck -r "$T/dev.img"
expect_exit 4 "$FAMFS" fsck -m "$T/dev.img"
# upstream: famfs fsck --fuse DEV; famfs fsck -F DEV
"$FAMFS" mkfs -f "$T/dev.img" >/dev/null
expect_exit 0 "$FAMFS" fsck --fuse "$T/dev.img"
expect_exit 8 "$FAMFS" fsck -F "$T/dev.img"
expect_stderr_contains "famfs fsck: error: --nofuse"

# upstream: famfs <command> -? prints the command's help and exits 0, for every command.
for c in $("$FAMFS" help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }'); do
  expect_exit 0 "$FAMFS" "$c" -?
  grep -q "^Usage: famfs $c" "$T/out" || die "famfs $c -?: $(head -3 "$T/out")"
done
expect_exit 0 "$FAMFS" -?
expect_stdout_contains "Subcommands:"
# fsck's help is -? and --help (-h is --human there).
expect_exit 0 "$FAMFS" fsck --help
grep -q -- "-h,-H,--human" "$T/out" || die "fsck --help: $(cat "$T/out")"

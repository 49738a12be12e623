#!/usr/bin/env bash
# Images written by upstream famfs (../shared/compat, skipped when absent): fsck exits 0 and its
# summary matches upstream's fsck output line for line (compat/fsck/*.txt, taken on the owner
# host, so the system UUID file holds the making host's UUID).
source "$(dirname "$0")/common.sh"

printf '79c07b3f-5155-4b09-9ffa-ccb9ff775c82\0' >"$T/owner_uuid"
export FAMFS_SYSTEM_UUID_FILE="$T/owner_uuid"
expected() { # upstream's output without the command line, "[exit N]" and upstream's own messages
  sed '1d; /^\[exit [0-9]*\]$/d; /^famfs_/d' "$FAMFS_COMPAT_DIR/fsck/$1"
}

for pair in fresh-64m:fresh64m fresh-4g:fresh4g populated-256m:populated adddaxdev-64m:adddaxdev; do
  img=${pair%%:*}
  txt=${pair##*:}
  compat_image "$img"
  expect_exit 0 "$FAMFS" fsck "$T/$img.img"
  expected "$txt.txt" >"$T/want"
  diff -u "$T/want" "$T/out" || die "$img: summary differs from upstream's"
  [ ! -s "$T/err" ] || die "$img: stderr not empty"
  rm -f "$T/$img.img"
done

compat_image populated-256m
expect_exit 0 "$FAMFS" fsck -v "$T/populated-256m.img"
expected populated_verbose.txt >"$T/want"
diff -u "$T/want" "$T/out" || die "populated -v differs"

printf '11111111-2222-4333-8444-555555555555\0' >"$T/other_uuid"
expect_exit 0 "$FAMFS" fsck --system-uuid-file "$T/other_uuid" "$T/populated-256m.img"
expected populated_otherhost.txt >"$T/want"
diff -u "$T/want" "$T/out" || die "populated (other host) differs"

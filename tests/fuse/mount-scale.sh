#!/bin/bash
# A 200,000-entry log (2,000 directories, 198,000 files, a 128 MiB log; the scale bench's image,
# test::BigImage): fsck checks it clean, the mount serves every entry (the last file stats with
# its size, a directory lists its 99 files, status counts every entry), and an entry appended
# after the mount's replay is followed. Not timed: speed is scripts/bench.sh's.
source "$(dirname "$0")/common.sh"
: "${FAMFS_FSCK_IMAGE:?FAMFS_FSCK_IMAGE must point at famfs_fsck_image}"

N=200000 FILES=198000
"$FAMFS_FSCK_IMAGE" big $N "$T/big.img"
# This host is the image's master (test::ImageBuilder::host_uuid), so it may append below.
echo 20212223-2425-2627-2829-2a2b2c2d2e2f >"$FAMFS_SYSTEM_UUID_FILE"
"$FAMFS" fsck "$T/big.img" >"$T/fsck.txt" || die "fsck of the $N-entry image: $(cat "$T/fsck.txt")"
grep -qF "# of log entries in use: $N of " "$T/fsck.txt" || die "fsck: $(cat "$T/fsck.txt")"
grep -qE "^ +$FILES files$" "$T/fsck.txt" || die "fsck file count: $(cat "$T/fsck.txt")"
famfs_mount "$T/big.img" "$T/mnt"
last=$((FILES - 1))
[ "$(stat -c %s "$T/mnt/dir01999/file0$last")" = $((4096 + last)) ] || die "size of the last file"
[ "$(ls "$T/mnt/dir00042" | wc -l)" = 99 ] || die "dir00042 lists $(ls "$T/mnt/dir00042" | wc -l)"
[ "$(ls "$T/mnt" | wc -l)" = 2000 ] || die "the root lists $(ls "$T/mnt" | wc -l) directories"
"$FAMFS" status --json "$T/mnt" | jq -e ".entries_applied == $N" >/dev/null ||
  die "status: $("$FAMFS" status --json "$T/mnt")"
# The spare allocation unit at the end of the device (the image leaves one).
spare=$(((2 + 128) * 1024 * 1024 + FILES * AU))
"$TT" file "$T/big.img" dir00007/late 7 0644 0 0 simple $spare+$AU
[ "$(stat -c %s "$T/mnt/dir00007/late")" = 7 ] || die "a file logged after the mount is not served"
"$FAMFS" fsck "$T/big.img" >/dev/null || die "fsck after the append"

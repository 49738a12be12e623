#!/usr/bin/env bash
# fsck -y and the log header: a header whose checksum is wrong but whose magic, length and last
# index agree with the superblock is rewritten; a header whose fields disagree is left alone.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/repair_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
make_files "$img" 3
hdr() { dd if="$img" iflag=skip_bytes,count_bytes skip=$k_log count=48 status=none | od -An -tx1; }
good=$(hdr)

damage "$img" $((k_log + 24)) 0x04 # the stored CRC
expect_exit 4 "$FAMFS" fsck "$img"
expect_stdout_contains "  error: log header at 0x200000: checksum mismatch"
repair_cycle "$img"
expect_stdout_contains "  fixed: log header at 0x200000: checksum mismatch (magic, length and last index agree with the superblock); rewritten"
[ "$(hdr)" = "$good" ] || die "header not rewritten byte for byte"
verify_files "$img" 1 2 3
expect_exit 0 "$FAMFS" creat --device "$img" -s 1m -r -S 4 f4
fsck_clean "$img"
verify_files "$img" 1 2 3 4

# The log length field damaged: the checksum no longer matches either, but the fields disagree
# with the superblock, so repair does not guess.
damage "$img" $((k_log + 8 + 3)) 0x02
sum=$(meta_sum "$img")
expect_exit 4 "$FAMFS" fsck "$img"
expect_exit 4 "$FAMFS" fsck -y --backup "$T/never.img" "$img"
expect_stdout_contains "Not repaired:"
expect_stdout_contains "  log header at 0x200000: its magic, length or last index disagree with the superblock; repair does not rebuild it"
[ "$(meta_sum "$img")" = "$sum" ] || die "repair wrote to a header it could not trust"
[ ! -e "$T/never.img" ] || die "backup file made although nothing was written"

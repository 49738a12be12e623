#!/bin/bash
# With FUSE over io_uring switched on in the kernel (enable_uring=Y, put back afterwards), a mount
# serves its requests through io_uring (famfs status says so, text and JSON), and reads, writes,
# listings and copies through it, from every CPU's queue, give the right bytes; umount ends the
# daemon at once, without a sanitizer report.
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "jq missing"
set_enable_uring Y

fuse_mkfs "$T/dev.img" 256M
mkdir "$T/mnt"
expect_exit 0 "$FAMFS" mount "$T/dev.img" "$T/mnt"
at_exit "umount -l '$T/mnt' 2>/dev/null"
! grep -q "hint:" "$T/out" || die "hint printed with io_uring on: $(cat "$T/out")"
pid=$(cat "$T/run/"*.pid)
log=$(echo "$T/run/"*.log)
expect_transport "$T/mnt" io_uring
grep -q "io_uring: [0-9]* queues" "$log" || die "no io_uring queues in the trace: $(cat "$log")"

# Files in with famfs cp (WRITE requests through the queues), a directory, a listing.
size=$((5 * 1024 * 1024 + 4321))
head -c $size /dev/urandom >"$T/big"
printf 'hello\n' >"$T/small"
expect_exit 0 "$FAMFS" cp "$T/big" "$T/small" "$T/mnt/"
expect_exit 0 "$FAMFS" mkdir "$T/mnt/d"
expect_exit 0 "$FAMFS" cp "$T/small" "$T/mnt/d/s2"
[ "$(ls "$T/mnt" | tr '\n' ' ')" = "big d small " ] || die "ls: $(ls "$T/mnt")"
[ "$(stat -c %s "$T/mnt/big")" = $size ] || die "size: $(stat -c %s "$T/mnt/big")"
[ "$(cat "$T/mnt/small")" = hello ] || die "small: $(cat "$T/mnt/small")"

# Reads at the sizes users pick, and copies out with coreutils.
cmp "$T/big" "$T/mnt/big" || die "cat differs"
dd if="$T/mnt/big" bs=4k status=none | cmp - "$T/big" || die "4 KiB reads differ"
dd if="$T/mnt/big" bs=1M status=none | cmp - "$T/big" || die "1 MiB reads differ"
dd if="$T/mnt/big" bs=4099 status=none | cmp - "$T/big" || die "odd-sized reads differ"
mkdir "$T/copies"
cp -r "$T/mnt/d" "$T/mnt/big" "$T/copies/"
cmp "$T/big" "$T/copies/big" || die "cp out differs"
cmp "$T/small" "$T/copies/d/s2" || die "cp -r out differs"

# Each CPU's queue: readers pinned to every CPU at once.
pids=()
for cpu in $(seq 0 $(($(nproc) - 1))); do
  taskset -c "$cpu" dd if="$T/mnt/big" bs=64k status=none of="$T/cpu$cpu" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for cpu in $(seq 0 $(($(nproc) - 1))); do
  cmp "$T/big" "$T/cpu$cpu" || die "reader on CPU $cpu got other bytes"
done

# Writes inside a file through the mount (the master may), seen through the mount and, after a
# remount, from the device.
head -c 300000 /dev/urandom >"$T/patch"
cp "$T/big" "$T/want"
dd if="$T/patch" of="$T/want" bs=64k seek=3 conv=notrunc status=none
dd if="$T/patch" of="$T/mnt/big" bs=64k seek=3 conv=notrunc status=none
cmp "$T/want" "$T/mnt/big" || die "written bytes not read back"

# umount returns at once, and the daemon is gone.
expect_exit 0 timeout 20 "$FAMFS" umount "$T/mnt"
! kill -0 "$pid" 2>/dev/null || die "daemon $pid still running after umount"
! grep -qE "AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer" "$log" || die "$(cat "$log")"

expect_exit 0 "$FAMFS" mount "$T/dev.img" "$T/mnt"
expect_transport "$T/mnt" io_uring
cmp "$T/want" "$T/mnt/big" || die "written bytes lost over a remount"
expect_exit 0 timeout 20 "$FAMFS" umount "$T/mnt"

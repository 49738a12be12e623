#!/usr/bin/env bash
# fsck -y refusals and bookkeeping: usage errors (16); a client host, an existing backup file, a
# device another famfs command holds, or no file system at all: 8, and nothing written. The
# default backup file goes to the current directory and its path is printed; --no-backup saves
# none; --json reports the repair.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"
source "$(dirname "$0")/repair_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
make_files "$img" 2

# Usage errors.
expect_exit 16 "$FAMFS" fsck -n -y "$img"
expect_stderr_contains "famfs fsck: error: -n and --repair cannot be used together"
for opt in --force "--drop f1" "--backup $T/b.img" --no-backup; do
  # shellcheck disable=SC2086
  expect_exit 16 "$FAMFS" fsck $opt "$img"
  expect_stderr_contains "needs --repair"
done
expect_exit 16 "$FAMFS" fsck -y --backup "$T/b.img" --no-backup "$img"
expect_stderr_contains "--backup and --no-backup cannot be used together"

# Damage that -y would fix.
damage "$img" $(($(entry_at 1) + 40))
sum=$(meta_sum "$img")

# Another host (a client of this file system) may not repair it.
FAMFS_SYSTEM_UUID_FILE="$T/other-host" expect_exit 8 "$FAMFS" fsck -y --backup "$T/b.img" "$img"
expect_stderr_contains "famfs fsck: error: $img: this host is a client of the file system"
expect_stderr_contains "only the master repairs it"
[ "$(meta_sum "$img")" = "$sum" ] || die "a client repaired"
[ ! -e "$T/b.img" ] || die "a client made a backup file"

# An existing backup file is never overwritten.
echo precious >"$T/b.img"
expect_exit 8 "$FAMFS" fsck -y --backup "$T/b.img" "$img"
expect_stderr_contains "famfs fsck: error: $T/b.img: backup file already exists"
[ "$(cat "$T/b.img")" = precious ] || die "backup file overwritten"
[ "$(meta_sum "$img")" = "$sum" ] || die "repaired without a backup"

# Another famfs command holding the log lock (flock on the device, as the log writer takes it).
if command -v flock >/dev/null; then
  # The lock holder becomes `sleep` itself (exec), so killing it releases the lock.
  (
    exec 9<"$img"
    flock -x 9
    touch "$T/locked"
    exec sleep 30
  ) >/dev/null 2>&1 &
  holder=$!
  at_exit "kill $holder 2>/dev/null; wait $holder 2>/dev/null"
  for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
  expect_exit 8 "$FAMFS" fsck -y --backup "$T/b2.img" "$img"
  expect_stderr_contains "famfs fsck: error: $img: another famfs command is writing to the device"
  kill "$holder" 2>/dev/null || true
  wait "$holder" 2>/dev/null || true
  [ "$(meta_sum "$img")" = "$sum" ] || die "repaired under someone else's lock"
fi

# No file system, no device.
mkimg "$T/blank.img" 64M
expect_exit 8 "$FAMFS" fsck -y "$T/blank.img"
expect_stderr_contains "not a famfs file system"
expect_exit 8 "$FAMFS" fsck -y "$T/missing.img"

# The default backup file: in the current directory, named after the file system, printed.
uuid=$("$FAMFS" fsck --json "$img" | jq -r .superblock.fs_uuid || true)
mkdir "$T/cwd"
(cd "$T/cwd" && expect_exit 1 "$FAMFS" fsck -y "$img")
name=$(sed -nE 's/^Saved the superblock region and the log to (.*)$/\1/p' "$T/out")
[[ "$name" =~ ^famfs-fsck-backup-$uuid-[0-9]{8}T[0-9]{6}Z\.img$ ]] || die "backup name: $name"
[ -f "$T/cwd/$name" ] || die "no backup file $T/cwd/$name"
[ "$(head -c $((k_log + 0x800000)) "$T/cwd/$name" | sha256sum)" = "$sum" ] || die "backup content"
fsck_clean "$img"

# --no-backup saves none; --json describes the repair.
"$FAMFS" creat --device "$img" -s 3m -r -S 2 f2 >/dev/null
damage "$img" $(($(entry_at 1) + 40))
rm -rf "$T/cwd" && mkdir "$T/cwd"
(cd "$T/cwd" && expect_exit 1 "$FAMFS" fsck -y --no-backup --json "$img")
[ -z "$(ls -A "$T/cwd")" ] || die "--no-backup made a file: $(ls "$T/cwd")"
jq -e '.exit_code == 1 and .clean == true and .repair.backup_file == null
       and ([.repair.fixed[].kind] == ["tail_zeroed", "log_header"])
       and .repair.fixed[0].entry == 1
       and (.repair.problems_before | map(.kind) | index("entry_crc") != null)
       and .repair.not_fixed == []' "$T/out" >/dev/null || die "json: $(cat "$T/out")"
fsck_clean "$img"
verify_files "$img" 1

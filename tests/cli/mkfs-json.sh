#!/usr/bin/env bash
# mkfs --json and fsck --json print one valid JSON document carrying the summary and problems.
source "$(dirname "$0")/common.sh"

if command -v jq >/dev/null; then
  json_get() { jq -r "$1" "$2"; }
elif command -v python3 >/dev/null; then
  json_get() { python3 -c 'import json,sys
v=json.load(open(sys.argv[2]))
for k in sys.argv[1].replace("[", ".").replace("]", "").lstrip(".").split("."):
  v=v[int(k)] if k.isdigit() else v[k]
print(str(v).lower() if isinstance(v,bool) else v)' "$1" "$2"; }
else
  skip "neither jq nor python3"
fi

mkimg "$T/dev.img" 64M
expect_exit 0 "$FAMFS" mkfs --json "$T/dev.img"
cp "$T/out" "$T/mkfs.json"
[ "$(json_get .exit_code "$T/mkfs.json")" = 0 ] || die "exit_code"
[ "$(json_get .superblock.role "$T/mkfs.json")" = master ] || die "role"
[ "$(json_get .log.slots "$T/mkfs.json")" = 15420 ] || die "slots"
[ "$(json_get .capacity.allocated_bytes "$T/mkfs.json")" = 10485760 ] || die "allocated"

expect_exit 0 "$FAMFS" fsck --json "$T/dev.img"
cp "$T/out" "$T/fsck.json"
[ "$(json_get .clean "$T/fsck.json")" = true ] || die "clean"
[ "$(json_get .superblock.fs_uuid "$T/fsck.json")" = \
  "$(json_get .superblock.fs_uuid "$T/mkfs.json")" ] || die "uuid"

# Damage: the log header magic. exit 4, and the problem is in the JSON.
printf '\x00' | dd of="$T/dev.img" bs=1 seek=$((0x200000)) conv=notrunc status=none
expect_exit 4 "$FAMFS" fsck --json "$T/dev.img"
cp "$T/out" "$T/bad.json"
[ "$(json_get .exit_code "$T/bad.json")" = 4 ] || die "exit_code 4"
[ "$(json_get .problems[0].kind "$T/bad.json")" = log_magic ] || die "problem kind"

# Not a famfs: exit 8, still one JSON document.
mkimg "$T/blank.img" 16M
expect_exit 8 "$FAMFS" fsck --json "$T/blank.img"
cp "$T/out" "$T/blank.json"
[ "$(json_get .exit_code "$T/blank.json")" = 8 ] || die "exit_code 8"

# --force --kill --json: its own small object.
mkimg "$T/k.img" 64M
expect_exit 0 "$FAMFS" mkfs "$T/k.img"
expect_exit 0 "$FAMFS" mkfs --force --kill --json "$T/k.img"
cp "$T/out" "$T/kill.json"
[ "$(json_get .killed "$T/kill.json")" = true ] || die "killed"
[ "$(json_get .device "$T/kill.json")" = "$T/k.img" ] || die "device"

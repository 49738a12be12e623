#!/bin/bash
# One JSON schema across the --json commands (mkfs, fsck, logplay, getmap, status, check),
# checked with jq: every document is an object with exit_code equal to the command's exit
# status; the same things have the same keys (fs_uuid; system_uuid for this host, and
# master_system_uuid for the superblock's; role "master" or "client"); problems are objects
# with severity and message; a failure carries an error object (message, hint).
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "no jq"

# js CODE CMD...: runs CMD (with --json in it), expects exit CODE and one JSON object on stdout
# whose exit_code is CODE, with well-formed problems; on failure also an error object.
js() {
  local want=$1
  shift
  expect_exit "$want" "$@"
  jq -e --argjson c "$want" 'type == "object" and .exit_code == $c' "$T/out" >/dev/null ||
    die "exit_code is not $want in: $* -> $(cat "$T/out")"
  jq -e '(.problems // []) | all(type == "object" and (.severity | type) == "string"
                                 and (.message | type) == "string")' "$T/out" >/dev/null ||
    die "problems not objects: $* -> $(cat "$T/out")"
  if [ "$want" -ne 0 ]; then
    jq -e '(.error.message | type) == "string" and (.error | has("hint"))' "$T/out" >/dev/null ||
      die "no error object: $* -> $(cat "$T/out")"
  fi
}

mkimg "$T/dev.img" 64M
js 0 "$FAMFS" mkfs --json "$T/dev.img"
fs_uuid=$(jq -r .superblock.fs_uuid "$T/out")
master=$(jq -r .superblock.master_system_uuid "$T/out")
[ "$(jq -r .superblock.role "$T/out")" = master ] || die "mkfs role: $(cat "$T/out")"
js 1 "$FAMFS" mkfs --json "$T/dev.img" # exists
js 1 "$FAMFS" mkfs --json "$T/missing.img"
js 2 "$FAMFS" mkfs --json --nosuch "$T/dev.img"
js 0 "$FAMFS" mkfs --json -f -k "$T/dev.img"
[ "$(jq -r .fs_uuid "$T/out")" = "$fs_uuid" ] || die "mkfs -k fs_uuid"
js 0 "$FAMFS" mkfs --json -f "$T/dev.img"
fs_uuid=$(jq -r .superblock.fs_uuid "$T/out")

js 0 "$FAMFS" fsck --json "$T/dev.img"
[ "$(jq -r .superblock.fs_uuid "$T/out")" = "$fs_uuid" ] || die "fsck fs_uuid"
js 8 "$FAMFS" fsck --json "$T/missing.img"
js 16 "$FAMFS" fsck --json --nosuch "$T/dev.img"


famfs_mount "$T/dev.img" "$T/mnt"
"$FAMFS" creat -s 4k "$T/mnt/f" >/dev/null
js 0 "$FAMFS" status --json "$T/mnt"
[ "$(jq -r .fs_uuid "$T/out")" = "$fs_uuid" ] || die "status fs_uuid"
[ "$(jq -r .system_uuid "$T/out")" = "$master" ] || die "status system_uuid vs the master's"
[ "$(jq -r .role "$T/out")" = master ] || die "status role"
js 1 "$FAMFS" status --json "$T"
js 0 "$FAMFS" check --json "$T/mnt"
js 8 "$FAMFS" check --json "$T"
js 0 "$FAMFS" logplay --json "$T/mnt"
[ "$(jq -r .entries_used "$T/out")" = 1 ] || die "logplay entries_used"
js 1 "$FAMFS" logplay --json "$T/missing"
js 0 "$FAMFS" getmap --json "$T/mnt/f"
[ "$(jq -r '.files | length' "$T/out")" = 1 ] || die "getmap files"
js 1 "$FAMFS" getmap --json "$T/mnt/nosuch" "$T/mnt/f"
[ "$(jq -r '.files | length' "$T/out")" = 1 ] || die "getmap partial files"
[ "$(jq -r '.problems[0].message' "$T/out")" = "$T/mnt/nosuch: no such file in famfs" ] ||
  die "getmap problem: $(cat "$T/out")"
js 1 "$FAMFS" getmap --json "$T/mnt/nosuch"

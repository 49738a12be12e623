#!/usr/bin/env bash
# creat and verify as their pages say: the famfs-creat(1) example `creat --multi a,2m,1 --multi
# b,4m DIR` (relative names in DIR), -M for --multi in both creat and verify (upstream's verify
# -m too), and -u/-g taking user and group names as well as numbers.
source "$(dirname "$0")/common.sh"
mkimg "$T/dev.img" 64M
"$FAMFS" mkfs "$T/dev.img" >/dev/null
D=(--device "$T/dev.img")
"$FAMFS" mkdir "${D[@]}" dir
# famfs-creat(1): famfs creat --multi a,2m,1 --multi b,4m /mnt/famfs/dir
expect_exit 0 "$FAMFS" creat "${D[@]}" --multi a,2m,1 --multi b,4m dir
expect_exit 0 "$FAMFS" getmap "${D[@]}" -q dir/a dir/b
# An absolute NAME ignores DIR; without DIR, NAMEs are as given.
expect_exit 0 "$FAMFS" creat "${D[@]}" -M c,1m
expect_exit 0 "$FAMFS" getmap "${D[@]}" -q c
# verify: -M as in creat, -m as upstream's verify
expect_exit 0 "$FAMFS" verify "${D[@]}" -M dir/a,1
expect_exit 0 "$FAMFS" verify "${D[@]}" -m dir/a,1
expect_exit 1 "$FAMFS" verify "${D[@]}" -M dir/a,2

# -u/-g: names and numbers.
root_group=$(getent group 0 | cut -d: -f1)
expect_exit 0 "$FAMFS" creat "${D[@]}" -s 4k -u nobody -g "$root_group" owned
expect_exit 0 "$FAMFS" getmap "${D[@]}" --json owned
command -v jq >/dev/null || skip "no jq"
[ "$(jq -r '.files[0] | "\(.uid) \(.gid)"' "$T/out")" = "$(id -u nobody) 0" ] || die "owner: $(cat "$T/out")"
expect_exit 0 "$FAMFS" mkdir "${D[@]}" -u 1234 -g 99 numdir
expect_exit 2 "$FAMFS" creat "${D[@]}" -s 4k -u no-such-user-xyz x
expect_stderr_contains "famfs creat: error: --uid no-such-user-xyz: no such user"
expect_exit 2 "$FAMFS" creat "${D[@]}" -s 4k -g no-such-group-xyz x
expect_stderr_contains "--gid no-such-group-xyz: no such group"
expect_exit 2 "$FAMFS" creat "${D[@]}" -s 4k -u 12x x

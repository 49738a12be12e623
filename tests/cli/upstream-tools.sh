#!/usr/bin/env bash
# Upstream famfs's test options and tools (src/famfs_cli.c, smoke/test1.sh,
# smoke/test_shadow_yaml.sh): logplay --shadow/-S (upstream's YAML shadow tree), logplay
# -m/-r/-c, cp -c (compare), getmap -q and -c, famfs clone (a cross-link fsck must find).
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "no jq"
mkimg "$T/dev.img" 8G # interleave buckets are at least 1 GiB
"$FAMFS" mkfs "$T/dev.img" >/dev/null
D=(--device "$T/dev.img")
head -c 5000 /dev/urandom >"$T/a"
head -c 3000000 /dev/urandom >"$T/b"
"$FAMFS" mkdir "${D[@]}" -m 0750 d
"$FAMFS" cp "${D[@]}" -m 0640 "$T/a" d/a
"$FAMFS" cp "${D[@]}" "$T/b" b
"$FAMFS" creat "${D[@]}" -s 4m -N 2 -B 4 -C 2m striped >/dev/null

# upstream: famfs logplay --shadow DIR --daxdev DEV (smoke/test_shadow_yaml.sh)
mkdir -p "$T/shadow/root"
expect_exit 0 "$FAMFS" logplay --shadow "$T/shadow/root" --daxdev "$T/dev.img"
expect_stdout_contains "3 files; 1 directories; 0 already there; 0 errors"
[ -d "$T/shadow/root/d" ] || die "no shadow directory d"
[ "$(stat -c %a "$T/shadow/root/d")" = 750 ] || die "shadow d mode $(stat -c %a "$T/shadow/root/d")"
off=$("$FAMFS" getmap "${D[@]}" --json d/a | jq -r '.files[0].extents[0].offset')
printf -- '---\nfile:\n  path: d/a\n  size: 5000\n  flags: 2\n  mode: 0640\n  uid: %s\n  gid: %s\n  nextents: 1\n  simple_ext_list:\n  - devindex: 0\n    offset: 0x%x\n    length: 0x200000\n...\n' \
  "$(id -u)" "$(id -g)" "$off" >"$T/want.yaml"
cmp "$T/want.yaml" "$T/shadow/root/d/a" || die "shadow yaml of d/a: $(cat "$T/shadow/root/d/a")"
grep -q "^  striped_ext_list:$" "$T/shadow/root/striped" || die "striped: $(cat "$T/shadow/root/striped")"
grep -q "^  - nstrips: 2$" "$T/shadow/root/striped" || die "nstrips: $(cat "$T/shadow/root/striped")"
grep -q "^    chunk_size: 0x200000$" "$T/shadow/root/striped" || die "chunk_size"
[ "$(grep -c '^    - devindex: 0$' "$T/shadow/root/striped")" -eq 2 ] || die "strips"
# The YAML parses (python3's yaml, when there) with the keys upstream's reader takes.
if python3 -c 'import yaml' 2>/dev/null; then
  python3 - "$T/shadow/root/d/a" <<'PY' || die "yaml does not parse as upstream's"
import sys, yaml
f = yaml.safe_load(open(sys.argv[1]))["file"]
assert f["path"] == "d/a" and f["size"] == 5000 and f["nextents"] == 1, f
assert f["simple_ext_list"][0]["length"] == 0x200000, f
PY
fi
# Again: everything is there already; -S DIR without /root uses DIR/root.
expect_exit 0 "$FAMFS" logplay -S "$T/shadow" "$T/dev.img"
expect_stdout_contains "3 files; 1 directories; 4 already there; 0 errors"
expect_exit 1 "$FAMFS" logplay -S "$T/shadow2" "$T/dev.img" # upstream: a missing shadow dir fails
mkdir "$T/shadow2"
expect_exit 0 "$FAMFS" logplay --json -n -S "$T/shadow2" "$T/dev.img"
[ "$(jq -r .files "$T/out")" = 3 ] || die "json: $(cat "$T/out")"
[ -z "$(ls -A "$T/shadow2")" ] || die "-n wrote into the shadow dir"
# upstream: shadow logplay to a regular file, or --daxdev without --shadow, fails.
expect_exit 1 "$FAMFS" logplay --shadow "$T/a" --daxdev "$T/dev.img"
expect_exit 2 "$FAMFS" logplay --daxdev "$T/dev.img" "$T/shadow"
# upstream: famfs logplay -m / -r / -c TARGET (test options): accepted
for o in -m -r -c "-c -m"; do
  # shellcheck disable=SC2086
  expect_exit 0 "$FAMFS" logplay $o "$T/dev.img"
done
expect_exit 2 "$FAMFS" logplay -m -r "$T/dev.img"

# upstream: famfs cp -c -r SRC... DIR (smoke/test1.sh "recursive compare")
mkdir "$T/tree"
cp "$T/a" "$T/b" "$T/tree/"
"$FAMFS" mkdir "${D[@]}" t
"$FAMFS" cp "${D[@]}" -r "$T/tree/"* t
expect_exit 0 "$FAMFS" cp "${D[@]}" -c -r "$T/tree/"* t
before=$(head -c 64M "$T/dev.img" | md5sum) # metadata and every file so far
# Deface one source byte: the compare fails and names the file.
printf 'Z' | dd of="$T/tree/b" bs=1 seek=100 conv=notrunc status=none
expect_exit 1 "$FAMFS" cp "${D[@]}" -c -r "$T/tree/"* t
expect_stderr_contains "t/b: differs from $T/tree/b"
# A missing copy: not in famfs.
expect_exit 1 "$FAMFS" cp "${D[@]}" -c "$T/a" nosuch
expect_stderr_contains "nosuch: not in famfs"
[ "$(head -c 64M "$T/dev.img" | md5sum)" = "$before" ] || die "cp -c wrote to the device"

# upstream: famfs getmap -q FILE (exit status only), getmap -c FILE... (go on)
expect_exit 0 "$FAMFS" getmap "${D[@]}" -q d/a
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || die "getmap -q printed"
expect_exit 1 "$FAMFS" getmap "${D[@]}" -q nosuch
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] || die "getmap -q printed on failure"
expect_exit 1 "$FAMFS" getmap "${D[@]}" -c nosuch d/a
expect_stdout_contains "File:     d/a"

# upstream: famfs clone SRC DST (hidden), then fsck finds the cross-link.
expect_exit 0 "$FAMFS" fsck "$T/dev.img"
expect_exit 0 "$FAMFS" clone "${D[@]}" d/a d/a-clone
expect_stderr_contains "warning: d/a-clone now shares its space with d/a"
expect_exit 4 "$FAMFS" fsck "$T/dev.img"
expect_stdout_contains "ALLOCATION COLLISIONS"
expect_exit 1 "$FAMFS" clone "${D[@]}" nosuch x
expect_exit 1 "$FAMFS" clone "${D[@]}" d/a d/a-clone
"$FAMFS" help | grep -q "^  clone" && die "clone is listed"
expect_exit 0 "$FAMFS" help clone

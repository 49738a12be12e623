#!/usr/bin/env bash
# famfs cp -r: a tree copied into famfs equals the source (every file rebuilt from the backing
# file through its map, every directory logged), with GNU cp's destination rules: a new DEST is
# the copy, an existing directory DEST receives DEST/basename(SRC); files keep their modes.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 512M
src="$T/A"
mkdir -p "$src/one/two/three" "$src/empty-dir" "$src/other"
for f in a b c; do head -c $((RANDOM * 7 + 1)) /dev/urandom >"$src/$f"; done
head -c $((5 << 20)) /dev/urandom >"$src/one/big"
echo x >"$src/one/two/three/deep"
echo y >"$src/other/y"
chmod 0600 "$src/b"
chmod 0751 "$src/one/two/three/deep"

# tree_equal SRC RELPATH: every file and directory under SRC is in famfs under RELPATH with the
# same bytes and mode, and famfs has nothing else there.
tree_equal() {
  local s=$1 rel=$2 f
  (cd "$s" && find . -mindepth 1 | sed 's|^\./||' | sort) >"$T/want.list"
  "$FAMFS" logplay --json -v "$img" |
    jq -r --arg p "$rel/" '.created[] | select(startswith($p)) | ltrimstr($p)' | sort >"$T/got.list"
  diff -u "$T/want.list" "$T/got.list" || die "tree listing differs"
  while read -r f; do
    if [ -f "$s/$f" ]; then
      extract "$img" "$rel/$f" "$T/x"
      cmp -s "$s/$f" "$T/x" || die "$rel/$f differs"
      [ "$("$FAMFS" getmap --json --device "$img" "$rel/$f" | jq -r '.files[0].mode')" = "$(stat -c %04a "$s/$f")" ] ||
        die "$rel/$f mode"
    fi
  done <"$T/want.list"
}

# A new destination becomes the copy.
expect_exit 0 "$FAMFS" cp --device "$img" -r "$src" Aprime
tree_equal "$src" Aprime
# An existing directory receives DEST/basename(SRC), also with a trailing slash or "/.".
"$FAMFS" mkdir --device "$img" into
expect_exit 0 "$FAMFS" cp --device "$img" -r "$src/" into
tree_equal "$src" into/A
expect_exit 0 "$FAMFS" cp --device "$img" -r "$src/one/." into
tree_equal "$src/one" into/one
# Relative source paths work.
(cd "$T" && "$FAMFS" cp --device "$img" -r -t 2 A/other rel) || die "relative cp"
tree_equal "$src/other" rel
# Copying again onto an existing copy (same sizes) rewrites it in place: no new entries.
n=$(nentries "$img")
expect_exit 0 "$FAMFS" cp --device "$img" -r "$src" into
[ "$(nentries "$img")" = "$n" ] || die "a repeated cp logged entries"
tree_equal "$src" into/A
fsck_clean "$img"

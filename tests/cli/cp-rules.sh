#!/usr/bin/env bash
# famfs cp: destination rules (GNU cp's, see spec/README.md), restart semantics, attributes, and
# the error cases of upstream's test1 (spec §9.1). The copies are read back from the backing
# file through their maps (extract), independently of famfs's readers.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 256M
cpd() { "$FAMFS" cp --device "$img" "$@"; }
src="$T/src"
mkdir -p "$src/sub"
head -c 3000000 /dev/urandom >"$src/big"
echo "hello famfs" >"$src/small"
echo "in sub" >"$src/sub/x"
chmod 0640 "$src/small"
: >"$src/empty"
mode_of() { "$FAMFS" getmap --json --device "$img" "$1" | jq -r '.files[0] | "\(.mode) \(.uid) \(.gid)"'; }

# A new name; into a directory (basename); several sources into a directory.
expect_exit 0 cpd "$src/big" copy
check copy "$src/big"
"$FAMFS" mkdir --device "$img" dir
expect_exit 0 cpd "$src/small" dir
check dir/small "$src/small"
[ "$(mode_of dir/small)" = "0640 $(id -u) $(id -g)" ] || die "cp keeps the source mode"
expect_exit 0 cpd "$src/big" "$src/small" dir/
check dir/big "$src/big"
# The root as destination: '', '.', './'.
expect_exit 0 cpd "$src/small" .
check small "$src/small"
# -m/-u/-g apply exactly.
"$FAMFS" mkdir --device "$img" -p deep/er/est
expect_exit 0 cpd -m 600 -u 0 -g 55 "$src/small" "$src/big" deep/er/est
[ "$(mode_of deep/er/est/big)" = "0600 0 55" ] || die "cp -m -u -g: $(mode_of deep/er/est/big)"

# Restartable: the same size is overwritten in place, with no new entry.
n=$(nentries "$img")
off=$("$FAMFS" getmap --json --device "$img" copy | jq -r '.files[0].extents[0].offset')
dd if=/dev/zero of="$img" conv=notrunc oflag=seek_bytes seek=$((off + 4096)) bs=4096 count=1 status=none
expect_exit 0 cpd "$src/big" copy
check copy "$src/big"
[ "$(nentries "$img")" = "$n" ] || die "overwrite logged an entry"
# Another size: refused, nothing written.
expect_exit 1 cpd "$src/small" copy
expect_stderr_contains "famfs cp: error: $src/small: destination copy: exists with size 3000000, not 12"
check copy "$src/big"

# Errors that stop the command before anything is written.
expect_exit 1 cpd "$src/small" "$src/nosuch" dir2
expect_stderr_contains "dir2: does not exist; copying several sources needs an existing directory"
expect_exit 1 cpd "$src/small" "$src/nosuch" dir
expect_stderr_contains "$src/nosuch: cannot stat: No such file or directory"
expect_exit 1 cpd "$src/small" copy/x
expect_stderr_contains "copy/x: copy is not a directory"
expect_exit 1 cpd "$src/small" newdir/
expect_stderr_contains "newdir/: no such directory"
expect_exit 1 cpd "$src/small" copy/
expect_stderr_contains "copy/: is not a directory"
expect_exit 1 cpd "$src/small" missing/x
expect_stderr_contains "missing/x: parent directory missing does not exist"
expect_exit 1 cpd -r "$src" copy
expect_stderr_contains "cannot copy a directory onto the file copy"
expect_exit 1 cpd -r "$src" missing/x
expect_exit 1 cpd -r "$src" copy/x
expect_exit 1 cpd "$src/small" "$src/big" copy
expect_stderr_contains "copy: is a file; copying several sources needs an existing directory"
[ "$(nentries "$img")" = "$n" ] || die "a failed cp logged something"
expect_exit 2 "$FAMFS" cp --device "$img" "$src/small"
expect_stderr_contains "need a source and a destination"
expect_exit 2 "$FAMFS" cp

# Sources famfs cannot hold: reported, skipped, the rest copied, a summary, exit 4 (partial).
n=$(nentries "$img")
expect_exit 4 cpd "$src/empty" "$src/sub/x" dir
expect_stderr_contains "famfs cp: warning: partial copy: 1 files and 0 directories copied; 1 skipped"
expect_stderr_contains "$src/empty: is empty; famfs files hold at least one byte"
check dir/x "$src/sub/x"
[ "$(nentries "$img")" = $((n + 1)) ] || die "x was not copied"
expect_exit 4 cpd /dev/zero dir
expect_stderr_contains "/dev/zero: not a regular file or directory"
"$FAMFS" mkdir --device "$img" wild
expect_exit 4 cpd "$src"/* wild
expect_stderr_contains "$src/sub: is a directory; omitting it (use -r)"
expect_stderr_contains "$src/empty: is empty; famfs files hold at least one byte"
check wild/big "$src/big"
check wild/small "$src/small"

# A progress bar on a terminal for large copies, none otherwise.
head -c $((70 << 20)) /dev/zero >"$T/big70"
expect_exit 0 cpd "$T/big70" big70
grep -qF "%" "$T/err" && die "progress bar without a terminal"
if command -v script >/dev/null; then
  script -qec "'$FAMFS' cp --device '$img' '$T/big70' big70" /dev/null >"$T/tty.out" ||
    die "cp under a terminal failed"
  grep -qF "100% 70/70 MiB" "$T/tty.out" || die "no progress bar: $(cat -v "$T/tty.out")"
fi

# --verify compares digests of the source and the copy.
expect_exit 0 cpd --verify -v "$src/big" verified
expect_stdout_contains "verified 1 files (XXH3)"
fsck_clean "$img"

#!/usr/bin/env bash
# `cmake --install` puts the binary, its helper-name links (mkfs.famfs, ...), famfs(1) and a famfs-<command>(1) page for every command,
# and the bash completion (the same script `famfs completion` prints) under the prefix.
source "$(dirname "$0")/common.sh"
: "${FAMFS_BUILD_DIR:?FAMFS_BUILD_DIR must name the build tree}"
command -v cmake >/dev/null || skip "no cmake"

cmake --install "$FAMFS_BUILD_DIR" --prefix "$T/inst" >"$T/install.log" 2>&1 ||
  die "cmake --install failed: $(tail -5 "$T/install.log")"
inst_famfs=$(find "$T/inst" -path '*/bin/famfs' -type f)
[ -x "$inst_famfs" ] || die "no bin/famfs installed"
man1=$(find "$T/inst" -type d -path '*/man/man1')
[ -n "$man1" ] || die "no man/man1 installed"
[ -f "$man1/famfs.1" ] || die "famfs.1 not installed"
n=0
for c in $("$FAMFS" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }'); do
  [ "$c" = help ] || [ "$c" = completion ] && continue
  [ -f "$man1/famfs-$c.1" ] || die "famfs-$c.1 not installed"
  n=$((n + 1))
done
[ "$n" -ge 13 ] || die "only $n command pages"
comp=$(find "$T/inst" -path '*/bash-completion/completions/famfs' -type f)
[ -n "$comp" ] || die "bash completion not installed"
"$FAMFS" completion >"$T/want.bash"
cmp "$T/want.bash" "$comp" || die "the installed completion is not what famfs completion prints"
# The names mkfs(8), fsck(8) and mount(8) look for: links to the binary in bin and sbin.
for n in mkfs.famfs fsck.famfs mount.famfs; do
  [ "$(readlink -f "$T/inst/bin/$n")" = "$(readlink -f "$inst_famfs")" ] || die "bin/$n is not famfs"
done
for n in mkfs.famfs fsck.famfs mount.famfs mount.fuse.famfs; do
  [ -L "$T/inst/sbin/$n" ] || die "sbin/$n is not a link"
  [ "$(readlink -f "$T/inst/sbin/$n")" = "$(readlink -f "$inst_famfs")" ] || die "sbin/$n is not famfs"
done
"$T/inst/sbin/fsck.famfs" --help | grep -q "^Usage: famfs fsck" || die "sbin/fsck.famfs is not fsck"
echo "installed: famfs, famfs.1, $n command pages, bash completion"

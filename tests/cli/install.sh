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
"$T/inst/sbin/fsck.famfs" --help | grep "^Usage: famfs fsck" >/dev/null || die "sbin/fsck.famfs is not fsck"

# libfamfs: the library with its soname, the header, famfs.pc, famfs_map(3) and the Python
# module; a program builds against the installed copy through pkg-config, and the module finds
# the installed library on its own.
so=$(find "$T/inst" -name 'libfamfs.so.0' | head -1)
[ -n "$so" ] || die "libfamfs.so.0 not installed"
objdump -p "$so" | grep 'SONAME *libfamfs.so.0' >/dev/null || die "libfamfs.so.0 lacks its soname"
[ -f "$T/inst/include/famfs/famfs.h" ] || die "famfs/famfs.h not installed"
pc=$(find "$T/inst" -name famfs.pc | head -1)
[ -n "$pc" ] || die "famfs.pc not installed"
[ -f "$(dirname "$man1")/man3/famfs_map.3" ] || die "famfs_map.3 not installed"
py=$(find "$T/inst" -path '*/share/famfs/python/famfs.py')
[ -n "$py" ] || die "famfs.py not installed"
# (Not in a sanitizer build: a plain program cannot link or load an instrumented library.)
if [ -n "${FAMFS_SANITIZE:-}" ]; then
  echo "installed: famfs, famfs.1, $n command pages, bash completion, libfamfs (not loaded: sanitizers)"
  exit 0
fi
if command -v cc >/dev/null && command -v pkg-config >/dev/null; then
  flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs famfs)
  # shellcheck disable=SC2086 # the flags are words
  cc -o "$T/example" "$(dirname "$0")/../../examples/famfs_map_example.c" $flags ||
    die "the example does not build against the installed libfamfs"
  "$FAMFS" mkfs --size 64M "$T/dev.img" >/dev/null
  "$FAMFS" creat --device "$T/dev.img" -s 5000 f
  LD_LIBRARY_PATH=$(dirname "$so") "$T/example" "$T/dev.img" stat f >"$T/out" ||
    die "the example built against the installed libfamfs failed"
  grep -q "size 5000" "$T/out" || die "the example printed: $(cat "$T/out")"
fi
if command -v python3 >/dev/null; then
  (unset FAMFS_LIBRARY && PYTHONPATH=$(dirname "$py") python3 -c 'import famfs; print(famfs.version())') \
    >"$T/pyver" || die "the installed famfs.py does not load the installed library"
  grep -qx '[0-9.]*' "$T/pyver" || die "famfs.version() printed: $(cat "$T/pyver")"
fi
echo "installed: famfs, famfs.1, $n command pages, bash completion, libfamfs"

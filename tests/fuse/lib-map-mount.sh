#!/usr/bin/env bash
# libfamfs by mount point: famfs_map_example (examples/) opens a real FUSE mount, finds its
# device through /proc/self/mountinfo, and maps files written by `famfs cp` and
# `famfs creat -r` (contiguous and interleaved) straight from the device; the bytes match what
# the mount serves. The same files map by device while mounted, a file created through the
# mount after the example opened appears (famfs_wait), and errors keep their errno.
source "$(dirname "$0")/common.sh"
: "${FAMFS_MAP_EXAMPLE:?FAMFS_MAP_EXAMPLE must point at examples/famfs_map_example}"
EX=$FAMFS_MAP_EXAMPLE

img=$T/dev.img
mnt=$T/mnt
fuse_mkfs "$img" 4200M # interleaving needs buckets of at least 1 GiB
famfs_mount "$img" "$mnt"

head -c 3000001 /dev/urandom >"$T/src"
"$FAMFS" cp "$T/src" "$mnt/plain"
"$FAMFS" cp -N 2 -B 4 "$T/src" "$mnt/striped"
"$FAMFS" mkdir "$mnt/d"
"$FAMFS" creat -r -S 5 -s 9M -N 3 -B 4 "$mnt/d/rand"

for f in plain striped d/rand; do
  expect_exit 0 "$EX" "$mnt" cat "$f"
  cmp "$T/out" "$mnt/$f" || die "$f: the map differs from what the mount reads"
  expect_exit 0 "$EX" "$img" cat "/$f"
  cmp "$T/out" "$mnt/$f" || die "$f: the map by device differs"
done
cmp "$T/out" <(cat "$mnt/d/rand") || die "d/rand differs"
cmp <("$EX" "$mnt" cat plain) "$T/src" || die "plain: not the bytes copied in"
# A path inside the mount opens that mount too.
expect_exit 0 "$EX" "$mnt/d" stat d/rand
expect_stdout_contains "size 9437184"
expect_stdout_contains "interleaved"
expect_exit 0 "$EX" "$mnt" ls d
expect_stdout_contains "100644 9437184 rand"

# A file made after the example opened: famfs_wait sees the new log entry.
"$EX" "$mnt" wait late 10000 >"$T/late.out" 2>"$T/late.err" &
waiter=$!
sleep 0.5
"$FAMFS" creat -r -S 8 -s 3M "$mnt/late"
wait "$waiter" || { cat "$T/late.err" >&2; die "the waiting example failed"; }
cmp "$T/late.out" "$mnt/late" || die "late: the map differs"

# Python: famfs.map(PATH) of a path in the mount, as numpy.frombuffer takes it.
if command -v python3 >/dev/null && [ -z "${FAMFS_SANITIZE:-}" ]; then
  PYTHONPATH=$FAMFS_PYTHON_DIR python3 - "$mnt" <<'PY'
import sys, famfs
mnt = sys.argv[1]
m = famfs.map(mnt + "/d/rand")
assert bytes(m) == open(mnt + "/d/rand", "rb").read(), "famfs.map differs from the mount"
try:
    import numpy
except ImportError:
    print("numpy not installed: numpy.frombuffer not checked")
else:
    a = numpy.frombuffer(famfs.map(mnt + "/striped"), dtype=numpy.uint8)
    assert a.tobytes() == open(mnt + "/striped", "rb").read()
PY
fi

# Errors: exit 1 with the errno's text.
expect_exit 1 "$EX" "$mnt" cat missing
expect_stderr_contains "famfs_map: error: missing: no such file or directory (No such file or directory)"
expect_exit 1 "$EX" "$mnt" cat d
expect_stderr_contains "famfs_map: error: d: is a directory (Is a directory)"
expect_exit 1 "$EX" "$T" ls
expect_stderr_contains "famfs_open_mount: error:"
echo "ok: maps by mount point and by device match the mount's bytes"

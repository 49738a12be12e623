#!/usr/bin/env bash
# The Python module of libfamfs (lib/python/famfs.py, ctypes, no build step) over a device:
# maps files written by `famfs cp` and `famfs creat -r` and compares bytes, lists, stats, polls,
# and raises OSError with the errno for a missing file, a directory and a non-famfs device.
# numpy.frombuffer(fs.map(path)) is checked when numpy is installed (skipped otherwise).
source "$(dirname "$0")/common.sh"
: "${FAMFS_LIBRARY:?FAMFS_LIBRARY must point at libfamfs.so.0}"
: "${FAMFS_PYTHON_DIR:?FAMFS_PYTHON_DIR must name the directory holding famfs.py}"
command -v python3 >/dev/null || skip "no python3"
[ -z "${FAMFS_SANITIZE:-}" ] || skip "python3 cannot load a sanitizer-built library"

img=$T/dev.img
"$FAMFS" mkfs --size 256M "$img" >/dev/null
head -c 1000003 /dev/urandom >"$T/src"
"$FAMFS" cp --device "$img" "$T/src" data
"$FAMFS" mkdir --device "$img" d
"$FAMFS" creat --device "$img" -r -S 3 -s 4M d/floats
"$FAMFS" verify --device "$img" -S 3 d/floats
dd if=/dev/zero of="$T/zeros" bs=1M count=16 status=none

PYTHONPATH=$FAMFS_PYTHON_DIR python3 - "$img" "$T/src" "$T/zeros" "$FAMFS" <<'PY'
import errno, subprocess, sys
import famfs

img, src, zeros, famfs_bin = sys.argv[1:5]
with famfs.open(img) as fs:
    assert fs.device.endswith("dev.img"), fs.device
    assert fs.mountpoint == "" and not fs.writable
    m = fs.map("data")
    assert m.readonly and bytes(m) == open(src, "rb").read(), "data: bytes differ"
    assert sorted(fs.listdir("")) == [".meta", "d", "data"], fs.listdir("")
    st = fs.stat("d/floats")
    assert st.size == 4 << 20 and not st.interleaved, st
    for path, err in (("nope", errno.ENOENT), ("d", errno.EISDIR), ("../x", errno.EINVAL)):
        try:
            fs.map(path)
            raise AssertionError(path + ": map did not fail")
        except OSError as e:
            assert e.errno == err, (path, e)
            assert "famfs_map: error:" in e.strerror, e.strerror
    assert fs.poll() == 0
    subprocess.run([famfs_bin, "creat", "--device", img, "-s", "1M", "later"], check=True)
    assert fs.wait(5) == 1 and "later" in fs.listdir("/")
    try:
        import numpy
    except ImportError:
        print("numpy not installed: numpy.frombuffer not checked")
    else:
        a = numpy.frombuffer(fs.map("d/floats"), dtype=numpy.uint32)
        assert a.size == (4 << 20) // 4 and not a.flags.writeable
        del m  # the data map goes; the array keeps its own
        out = subprocess.run([famfs_bin, "verify", "--device", img, "-S", "3", "d/floats"])
        assert out.returncode == 0
        assert int(a[:16].sum()) > 0
        print("numpy.frombuffer: %d words" % a.size)
try:
    famfs.open(zeros)
    raise AssertionError("a device without famfs opened")
except OSError as e:
    assert e.errno == errno.EIO and "not a famfs file system" in e.strerror, e
print("ok")
PY

"""famfs: map the files of a famfs file system straight from its shared memory device.

A ctypes binding of libfamfs (famfs_map(3)); nothing to build. Example:

    import famfs, numpy
    a = numpy.frombuffer(famfs.map("/mnt/famfs/data/x"), dtype=numpy.float32)

    with famfs.open("/dev/dax0.0") as fs:          # or a mount point
        print(fs.listdir("data"), fs.stat("data/x").size)
        m = fs.map("data/x")                        # a read-only memoryview of the whole file

A map stays valid as long as the memoryview (or any array made from it) lives; the file is
unmapped when the last of them goes away. Errors raise OSError with the errno and libfamfs's
message. The library is found through FAMFS_LIBRARY, then beside this module's installation
prefix, then as libfamfs.so.0 on the loader's path.
"""

import ctypes
import os

__all__ = ["FamFS", "Stat", "open", "map", "MAP_READ", "MAP_WRITE", "OPEN_READ", "OPEN_WRITE"]

OPEN_READ = 0x0
OPEN_WRITE = 0x1
MAP_READ = 0x0
MAP_WRITE = 0x1
STAT_INTERLEAVED = 0x1
STAT_META = 0x2

# Filled in by CMake when installed: the library directory relative to this module.
_RELATIVE_LIBDIR = "@FAMFS_PY_LIBDIR@"


class _Stat(ctypes.Structure):
    _fields_ = [
        ("ino", ctypes.c_uint64),
        ("size", ctypes.c_uint64),
        ("alloc", ctypes.c_uint64),
        ("log_index", ctypes.c_uint64),
        ("mode", ctypes.c_uint32),
        ("uid", ctypes.c_uint32),
        ("gid", ctypes.c_uint32),
        ("nlink", ctypes.c_uint32),
        ("nextents", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint64 * 4),
    ]


class _Dirent(ctypes.Structure):
    _fields_ = [("ino", ctypes.c_uint64), ("mode", ctypes.c_uint32), ("name", ctypes.c_char * 256)]


def _candidates():
    env = os.environ.get("FAMFS_LIBRARY")
    if env:
        yield env
    if not _RELATIVE_LIBDIR.startswith("@"):
        here = os.path.dirname(os.path.abspath(__file__))
        yield os.path.normpath(os.path.join(here, _RELATIVE_LIBDIR, "libfamfs.so.0"))
    yield "libfamfs.so.0"


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path, use_errno=True)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise ImportError("famfs: cannot load libfamfs.so.0: " + "; ".join(errors))
    p, c = ctypes.c_void_p, ctypes.c_char_p
    sigs = {
        "famfs_open": (p, [c, ctypes.c_int]),
        "famfs_close": (None, [p]),
        "famfs_device": (c, [p]),
        "famfs_mountpoint": (c, [p]),
        "famfs_writable": (ctypes.c_int, [p]),
        "famfs_stat": (ctypes.c_int, [p, c, ctypes.POINTER(_Stat)]),
        "famfs_opendir": (p, [p, c]),
        "famfs_readdir": (ctypes.POINTER(_Dirent), [p]),
        "famfs_closedir": (None, [p]),
        "famfs_map": (p, [p, c, ctypes.c_int, ctypes.POINTER(ctypes.c_size_t)]),
        "famfs_unmap": (ctypes.c_int, [p, p]),
        "famfs_persist": (ctypes.c_int, [p, p, ctypes.c_size_t]),
        "famfs_poll": (ctypes.c_int, [p]),
        "famfs_wait": (ctypes.c_int, [p, ctypes.c_int]),
        "famfs_log_entries": (ctypes.c_uint64, [p]),
        "famfs_errmsg": (c, []),
        "famfs_version": (c, []),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


_lib = _load()


def _fail():
    err = ctypes.get_errno()
    raise OSError(err, _lib.famfs_errmsg().decode(errors="replace"))


def _b(s):
    return os.fsencode(s)


def version():
    """The libfamfs version."""
    return _lib.famfs_version().decode()


class Stat:
    """A file's attributes: ino, size, alloc, log_index, mode, uid, gid, nlink, nextents,
    interleaved, meta."""

    def __init__(self, st):
        for f, _ in _Stat._fields_:
            if f != "reserved":
                setattr(self, f, getattr(st, f))
        self.interleaved = bool(st.flags & STAT_INTERLEAVED)
        self.meta = bool(st.flags & STAT_META)

    def __repr__(self):
        return "famfs.Stat(ino=%d, size=%d, mode=%o)" % (self.ino, self.size, self.mode)


class FamFS:
    """An open famfs: by mount point (or a path inside a mount) or by device."""

    def __init__(self, path, write=False):
        self._h = _lib.famfs_open(_b(path), OPEN_WRITE if write else OPEN_READ)
        if not self._h:
            _fail()
        self._maps = 0
        self._closing = False

    @property
    def device(self):
        return os.fsdecode(_lib.famfs_device(self._h))

    @property
    def mountpoint(self):
        return os.fsdecode(_lib.famfs_mountpoint(self._h))

    @property
    def writable(self):
        return bool(_lib.famfs_writable(self._h))

    def _handle(self):
        if not self._h or self._closing:
            raise ValueError("famfs: the file system is closed")
        return self._h

    def stat(self, path):
        st = _Stat()
        if _lib.famfs_stat(self._handle(), _b(path), ctypes.byref(st)) != 0:
            _fail()
        return Stat(st)

    def listdir(self, path=""):
        d = _lib.famfs_opendir(self._handle(), _b(path))
        if not d:
            _fail()
        try:
            names = []
            while True:
                e = _lib.famfs_readdir(d)
                if not e:
                    return names
                names.append(os.fsdecode(e.contents.name))
        finally:
            _lib.famfs_closedir(d)

    def map(self, path, write=False):
        """The whole file as a memoryview of its bytes in the device (read-only unless write)."""
        n = ctypes.c_size_t()
        addr = _lib.famfs_map(self._handle(), _b(path), MAP_WRITE if write else MAP_READ,
                              ctypes.byref(n))
        if not addr:
            _fail()
        buf = _Mapped.make(self, addr, n.value)
        view = memoryview(buf).cast("B")
        return view if write else view.toreadonly()

    def persist(self, view):
        """Makes writes to a write map durable and visible to other hosts."""
        addr = ctypes.addressof(ctypes.c_char.from_buffer(view)) if len(view) else None
        if addr and _lib.famfs_persist(self._handle(), addr, len(view)) != 0:
            _fail()

    def poll(self):
        """Applies new log entries; returns how many."""
        n = _lib.famfs_poll(self._handle())
        if n < 0:
            _fail()
        return n

    def wait(self, timeout=None):
        """Waits up to `timeout` seconds (None: forever) for new log entries; returns how many."""
        ms = -1 if timeout is None else int(timeout * 1000)
        n = _lib.famfs_wait(self._handle(), ms)
        if n < 0:
            _fail()
        return n

    @property
    def log_entries(self):
        return _lib.famfs_log_entries(self._handle())

    def _unmapped(self, addr):
        _lib.famfs_unmap(self._h, addr)
        self._maps -= 1
        if self._closing and self._maps == 0:
            self._really_close()

    def close(self):
        """Closes the handle once every map made through it is gone."""
        if not self._h or self._closing:
            return
        self._closing = True
        if self._maps == 0:
            self._really_close()

    def _really_close(self):
        _lib.famfs_close(self._h)
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None) and self._maps == 0:
            self._really_close()


class _Mapped:
    """The owner of one map: a ctypes array over it that unmaps when garbage."""

    @staticmethod
    def make(fs, addr, size):
        cls = type("_FamfsMap", (ctypes.c_char * size,), {"__del__": _Mapped._release})
        buf = cls.from_address(addr)
        buf._fs, buf._addr = fs, addr
        fs._maps += 1
        return buf

    def _release(self):
        self._fs._unmapped(self._addr)


def open(path, write=False):
    """Opens the famfs at `path` (a mount point, a path in a mount, or a device)."""
    return FamFS(path, write)


def map(path, write=False):
    """Maps the file at `path`, a path inside a mounted famfs, as a memoryview."""
    real = os.path.realpath(path)
    fs = FamFS(real, write) if os.path.isdir(real) else FamFS(os.path.dirname(real), write)
    rel = os.path.relpath(real, fs.mountpoint) if fs.mountpoint else ""
    try:
        return fs.map("" if rel == "." else rel, write)
    finally:
        fs.close()  # the handle lives on until the map is gone

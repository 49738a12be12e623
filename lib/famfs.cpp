// The C API of libfamfs (lib/famfs.h) over lib::Handle. Every entry point catches everything:
// no exception and no abort crosses into the caller. A failure sets errno and the thread's
// message ("famfs_map: error: data/x: no such file or directory").
#include "famfs/famfs.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>

#include "lib/handle.hpp"

struct famfs_fs {
  std::unique_ptr<famfs::lib::Handle> h;
};

struct famfs_dir {
  std::vector<famfs::lib::DirEntry> entries;
  std::size_t next = 0;
  famfs_dirent current{};
};

namespace famfs::lib {
namespace {

thread_local std::string g_errmsg;

void set_error(const char* fn, int err, std::string_view message) {
  g_errmsg = fmt::format("{}: error: {}", fn, message);
  errno = err;
}

void set_error(const char* fn, const Error& e) {
  set_error(fn, to_errno(e), e.message);
}

// Runs `body` (returning a Result) and turns its error, or any exception, into errno and the
// message; `on_error` is what the C function returns then.
template <typename Body, typename R> auto guarded(const char* fn, R on_error, Body&& body) -> R {
  try {
    auto r = body();
    if (!r) {
      set_error(fn, r.error());
      return on_error;
    }
    return *std::move(r);
  } catch (const std::bad_alloc&) {
    set_error(fn, ENOMEM, "out of memory");
  } catch (const std::exception& e) {
    set_error(fn, EIO, e.what());
  } catch (...) {
    set_error(fn, EIO, "unexpected exception");
  }
  return on_error;
}

Result<famfs_t*> wrap(Result<std::unique_ptr<Handle>> h) {
  if (!h) {
    return Unexpected{std::move(h).error()};
  }
  return new famfs_fs{*std::move(h)};
}

Result<void> need(bool ok, const char* what) {
  if (!ok) {
    return Error{Errc::invalid_argument, EINVAL, fmt::format("{} is NULL", what), {}};
  }
  return {};
}

Write write_of(int flags) {
  return (flags & FAMFS_OPEN_WRITE) != 0 ? Write::yes : Write::no;
}

// Which way famfs_open() goes: a directory is a mount point (or inside a mount).
bool is_directory(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

// famfs_wait(): polls every 10 ms (shared memory has no change notification) until an entry
// arrives, an error, or the deadline.
int wait_for_entries(famfs_t* fs, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  constexpr std::chrono::milliseconds k_interval{10};
  for (;;) {
    const int n = famfs_poll(fs);
    if (n != 0) {
      return n;
    }
    const Clock::time_point now = Clock::now();
    if (timeout_ms >= 0 && now >= deadline) {
      return 0;
    }
    auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(k_interval);
    if (timeout_ms >= 0) {
      pause = std::min(pause, std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
    }
    std::this_thread::sleep_for(pause);
  }
}

} // namespace famfs::lib

using famfs::Result;
using famfs::lib::guarded;
using famfs::lib::need;

extern "C" {

famfs_t* famfs_open_device(const char* device, int flags) {
  return guarded("famfs_open_device", static_cast<famfs_t*>(nullptr), [&]() -> Result<famfs_t*> {
    FAMFS_TRY(need(device != nullptr, "device"));
    return famfs::lib::wrap(famfs::lib::Handle::open_device(device, famfs::lib::write_of(flags)));
  });
}

famfs_t* famfs_open_mount(const char* mountpoint, int flags) {
  return guarded("famfs_open_mount", static_cast<famfs_t*>(nullptr), [&]() -> Result<famfs_t*> {
    FAMFS_TRY(need(mountpoint != nullptr, "mountpoint"));
    return famfs::lib::wrap(
        famfs::lib::Handle::open_mount(mountpoint, famfs::lib::write_of(flags)));
  });
}

famfs_t* famfs_open(const char* path, int flags) {
  if (path != nullptr && famfs::lib::is_directory(path)) {
    return famfs_open_mount(path, flags);
  }
  return famfs_open_device(path, flags);
}

void famfs_close(famfs_t* fs) {
  delete fs;
}

const char* famfs_device(const famfs_t* fs) {
  return fs != nullptr ? fs->h->device().c_str() : "";
}

const char* famfs_mountpoint(const famfs_t* fs) {
  return fs != nullptr ? fs->h->mountpoint().c_str() : "";
}

int famfs_writable(const famfs_t* fs) {
  return fs != nullptr && fs->h->writable() ? 1 : 0;
}

int famfs_stat(famfs_t* fs, const char* path, struct famfs_attr* st) {
  return guarded("famfs_stat", -1, [&]() -> Result<int> {
    FAMFS_TRY(need(fs != nullptr && path != nullptr && st != nullptr, "an argument"));
    FAMFS_TRY_ASSIGN(famfs::lib::Attr a, fs->h->stat(path));
    *st = {};
    st->ino = a.ino;
    st->size = a.size;
    st->alloc = a.alloc;
    st->log_index = a.log_index;
    st->mode = a.mode;
    st->uid = a.uid;
    st->gid = a.gid;
    st->nlink = a.nlink;
    st->nextents = a.nextents;
    st->flags = (a.interleaved ? FAMFS_STAT_INTERLEAVED : 0U) | (a.meta ? FAMFS_STAT_META : 0U);
    return 0;
  });
}

famfs_dir_t* famfs_opendir(famfs_t* fs, const char* path) {
  return guarded("famfs_opendir", static_cast<famfs_dir_t*>(nullptr),
                 [&]() -> Result<famfs_dir_t*> {
                   FAMFS_TRY(need(fs != nullptr && path != nullptr, "an argument"));
                   FAMFS_TRY_ASSIGN(auto entries, fs->h->list(path));
                   return new famfs_dir{std::move(entries), 0, {}};
                 });
}

const struct famfs_dirent* famfs_readdir(famfs_dir_t* dir) {
  if (dir == nullptr || dir->next >= dir->entries.size()) {
    return nullptr;
  }
  const famfs::lib::DirEntry& e = dir->entries[dir->next++];
  dir->current = {};
  dir->current.ino = e.ino;
  dir->current.mode = e.mode;
  const std::size_t n = std::min(e.name.size(), sizeof(dir->current.name) - 1);
  std::memcpy(dir->current.name, e.name.data(), n);
  return &dir->current;
}

void famfs_closedir(famfs_dir_t* dir) {
  delete dir;
}

void* famfs_map(famfs_t* fs, const char* path, int flags, size_t* len) {
  return guarded("famfs_map", static_cast<void*>(nullptr), [&]() -> Result<void*> {
    FAMFS_TRY(need(fs != nullptr && path != nullptr, "an argument"));
    const auto w = (flags & FAMFS_MAP_WRITE) != 0 ? famfs::lib::Write::yes : famfs::lib::Write::no;
    FAMFS_TRY_ASSIGN(famfs::lib::FileMap m, fs->h->map(path, w));
    if (len != nullptr) {
      *len = m.size;
    }
    return static_cast<void*>(m.base);
  });
}

int famfs_unmap(famfs_t* fs, void* addr) {
  return guarded("famfs_unmap", -1, [&]() -> Result<int> {
    FAMFS_TRY(need(fs != nullptr, "fs"));
    FAMFS_TRY(fs->h->unmap(addr));
    return 0;
  });
}

int famfs_persist(famfs_t* fs, const void* addr, size_t len) {
  return guarded("famfs_persist", -1, [&]() -> Result<int> {
    FAMFS_TRY(need(fs != nullptr, "fs"));
    FAMFS_TRY(fs->h->persist(addr, len));
    return 0;
  });
}

int famfs_poll(famfs_t* fs) {
  return guarded("famfs_poll", -1, [&]() -> Result<int> {
    FAMFS_TRY(need(fs != nullptr, "fs"));
    FAMFS_TRY_ASSIGN(famfs::log::u64 n, fs->h->poll());
    return static_cast<int>(std::min<famfs::log::u64>(n, INT32_MAX));
  });
}

int famfs_wait(famfs_t* fs, int timeout_ms) {
  return famfs::lib::wait_for_entries(fs, timeout_ms);
}

uint64_t famfs_log_entries(famfs_t* fs) {
  return fs != nullptr ? fs->h->entries() : 0;
}

const char* famfs_errmsg(void) {
  return famfs::lib::g_errmsg.c_str();
}

const char* famfs_version(void) {
  return FAMFS_VERSION_STRING;
}

} // extern "C"

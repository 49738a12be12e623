/* libfamfs: map the files of a famfs file system straight from its shared memory device.
 *
 * A program opens a famfs by its mount point or by its device (no mount needed: the library
 * replays the log itself), looks files up, and maps a whole file as one contiguous range of its
 * address space, placed piece by piece over the file's extents (or the chunks of an interleaved
 * file) in the device. Reads then run at memory speed on any kernel, without FUSE.
 *
 * Errors: a function that fails returns -1 (or NULL), sets errno, and leaves a message for
 * famfs_errmsg() on the calling thread. Nothing in this API aborts or throws.
 * Threads: a handle may be used from several threads; calls on one handle are serialised.
 * Paths: relative to the root of the file system ("data/x"); a leading '/' is allowed and "" or
 * "/" is the root. ".." may not climb above the root.
 * See famfs_map(3). */
#ifndef FAMFS_FAMFS_H
#define FAMFS_FAMFS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FAMFS_LIB_VERSION_MAJOR 0
#define FAMFS_LIB_VERSION_MINOR 1

/* An open famfs file system. */
typedef struct famfs_fs famfs_t;
/* A directory listing, taken when famfs_opendir() is called. */
typedef struct famfs_dir famfs_dir_t;

/* famfs_open*() flags. */
#define FAMFS_OPEN_READ 0x0  /* read-only (the default) */
#define FAMFS_OPEN_WRITE 0x1 /* file data writable: only on the master (its system UUID) */

/* famfs_map() flags. */
#define FAMFS_MAP_READ 0x0  /* PROT_READ */
#define FAMFS_MAP_WRITE 0x1 /* PROT_READ|PROT_WRITE: needs a handle opened FAMFS_OPEN_WRITE */

/* famfs_attr.flags bits. */
#define FAMFS_STAT_INTERLEAVED 0x1 /* the file is striped over several strips */
#define FAMFS_STAT_META 0x2        /* .meta, .meta/.superblock or .meta/.log */

struct famfs_attr {
  uint64_t ino;       /* inode number in this handle's replay (1: the root) */
  uint64_t size;      /* file size in bytes (directories: 0) */
  uint64_t alloc;     /* bytes the file's allocation can address (directories: 0) */
  uint64_t log_index; /* the log entry that made it (UINT64_MAX: the root and .meta) */
  uint32_t mode;      /* S_IFREG or S_IFDIR plus the permission bits */
  uint32_t uid;
  uint32_t gid;
  uint32_t nlink;
  uint32_t nextents; /* extents (or strips, when interleaved) */
  uint32_t flags;    /* FAMFS_STAT_* */
  uint64_t reserved[4];
};

struct famfs_dirent {
  uint64_t ino;
  uint32_t mode; /* S_IFREG or S_IFDIR plus the permission bits */
  char name[256];
};

/* Opens the famfs at `path`: a mount point or a path inside a mounted famfs (the device is
 * found in /proc/self/mountinfo), or a device or backing file (the log is replayed from it).
 * Refuses a superblock or log header that does not validate and a log entry that does not
 * decode (EIO), and a device without a famfs (EIO as well, "not a famfs file system").
 * FAMFS_OPEN_WRITE on a host that is not the master fails with EPERM. */
famfs_t* famfs_open(const char* path, int flags);
/* The same for a mount point (or a path in a mount) only: ENOENT when not inside a famfs. */
famfs_t* famfs_open_mount(const char* mountpoint, int flags);
/* The same for a device or backing file only (mounted or not). */
famfs_t* famfs_open_device(const char* device, int flags);
/* Unmaps every file still mapped through `fs` and closes it. NULL is ignored. */
void famfs_close(famfs_t* fs);

/* The device (or backing file) and the mount point ("" when opened by device). */
const char* famfs_device(const famfs_t* fs);
const char* famfs_mountpoint(const famfs_t* fs);
/* 1 when the handle was opened FAMFS_OPEN_WRITE (this host is the master), else 0. */
int famfs_writable(const famfs_t* fs);

/* Looks `path` up and fills `st`. ENOENT when it does not exist (or a level above it is a
 * file), EINVAL for a path that is not a famfs path. */
int famfs_stat(famfs_t* fs, const char* path, struct famfs_attr* st);

/* Lists directory `path` as it is now. ENOTDIR for a file. */
famfs_dir_t* famfs_opendir(famfs_t* fs, const char* path);
/* The next entry, or NULL at the end (errno untouched). Valid until the next call. */
const struct famfs_dirent* famfs_readdir(famfs_dir_t* dir);
void famfs_closedir(famfs_dir_t* dir);

/* Maps the whole file `path` as one contiguous range aligned to 2 MiB, PROT_READ (or
 * PROT_READ|PROT_WRITE with FAMFS_MAP_WRITE), and stores the file size in `*len`. Bytes past
 * the end of the file up to the next page stay mapped if the allocation holds them; nothing
 * past the allocation is mapped. EISDIR for a directory, EPERM for a write map of a read-only
 * handle or of .meta, EIO for a map that does not fit the device or a clobbered file system.
 * A file of size 0 gets a non-NULL address with nothing readable. Undo with famfs_unmap(). */
void* famfs_map(famfs_t* fs, const char* path, int flags, size_t* len);
/* Unmaps a range famfs_map() returned. EINVAL when `addr` is not one. */
int famfs_unmap(famfs_t* fs, void* addr);
/* Makes writes to [addr, addr+len) of a write map durable and visible to other hosts
 * (msync for backing files, cache-line write-back for memory devices). */
int famfs_persist(famfs_t* fs, const void* addr, size_t len);

/* Applies the log entries appended since the last look. Returns how many were applied (0 when
 * none), or -1: EIO when the file system was clobbered (another mkfs, a rewritten log; the
 * handle then refuses new maps, existing maps stay as they are) or a new entry does not decode
 * (the files seen so far stay usable). */
int famfs_poll(famfs_t* fs);
/* famfs_poll() until an entry arrives or `timeout_ms` passes (-1: no limit). Returns the
 * number applied, 0 on timeout, -1 on error. */
int famfs_wait(famfs_t* fs, int timeout_ms);
/* Log entries applied so far. */
uint64_t famfs_log_entries(famfs_t* fs);

/* The message of the last failure on this thread ("" when none). */
const char* famfs_errmsg(void);
/* The library version, "0.1.0". */
const char* famfs_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FAMFS_FAMFS_H */

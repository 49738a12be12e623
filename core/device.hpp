// A famfs backing device: a regular file, a devdax character device or a pmem block device,
// opened and mapped whole.
#pragma once

#include "core/mapping.hpp"
#include "core/unique_fd.hpp"
#include "log/records.hpp"
#include "log/result.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace famfs::core {

// meta_files: a dax device in famfs mode (fsdev_dax, which has no mmap), read through the .meta
// files of its famfs mount (core/meta_source.hpp), or, in a famfs-mode mount's daemon until
// the kernel has negotiated famfs, through a copy of them taken in devdax mode.
enum class DeviceKind { file, devdax, pmem, meta_files };
enum class OpenMode { read_only, read_write };
// Whether this host's caches need no flushing (coherent) or persist()/invalidate() must flush
// them on every kind of device (non_coherent: --non-coherent, famfs flush).
enum class Coherence { coherent, non_coherent };

// The .meta files of a famfs mount, opened, with the superblock the first one holds (checked:
// magic, version, CRC, the log right after it) and their sizes (open_meta_files in
// core/meta_source.hpp).
struct OpenedMetaFiles {
  std::string superblock_path;
  std::string log_path;
  UniqueFd superblock;
  std::uint64_t superblock_size = 0;
  UniqueFd log;
  log::Superblock sb;
};

const char* to_string(DeviceKind k);

class Device {
public:
  // Opens and maps `path` whole. Regular files (e.g. under /dev/shm) need no hardware;
  // character devices must be devdax (checked through libdaxctl); block devices must be pmem.
  // Read-only opens map PROT_READ.
  static Result<Device> open(const std::string& path, OpenMode mode);

  // The superblock and log of the famfs-mode dax device `path`, mapped from the .meta files of
  // its mount (`superblock_file` at offset 0, `log_file` at the log offset the superblock file
  // declares) at their device offsets in a mapping as large as the device. The rest of the
  // device, the file data, is not mapped here: famfs-mode file data is read and written through
  // the mount's own files (data_mapped() is false). Errors name the file that is missing,
  // unreadable or too short. core/meta_source.cpp.
  static Result<Device> open_meta_files(const std::string& path,
                                        const std::string& superblock_file,
                                        const std::string& log_file,
                                        OpenMode mode);

  // A copy of the superblock and log of `src`, [0, meta_end), in anonymous memory, read-only,
  // inside a reservation as large as `src` (file data is not mapped: kind meta_files). famfs
  // mount takes it from a famfs-mode device switched to devdax mode for the purpose; the
  // daemon serves from it until map_meta_files(). Errors: a media error in `src`.
  static Result<Device> copy_metadata(const Device& src, std::uint64_t meta_end);
  // Maps `files` read-only over this meta_files device's superblock and log, in place
  // (MAP_FIXED over the same addresses: spans and pointers into the metadata stay valid, and a
  // reader sees the old or the new page, never a hole). A famfs-mode mount's daemon switches from
  // its copy to its own mount's .meta files this way once the kernel has negotiated famfs.
  // Errors: the files do not fit this device's metadata, a failed mmap.
  Result<void> map_meta_files(const OpenedMetaFiles& files);

  const std::string& path() const { return m_path; }
  // What writers of the log flock (core/log_writer.cpp): the device, or for meta_files the
  // mount's .meta/.log file (a famfs-mode device node may not open at all).
  const std::string& lock_path() const { return m_lock_path.empty() ? m_path : m_lock_path; }
  DeviceKind kind() const { return m_kind; }
  std::uint64_t size() const { return m_map.size(); }
  bool writable() const { return m_map.access() == Access::read_write; }
  int fd() const { return m_fd.get(); }
  std::span<std::byte> bytes() const { return m_map.bytes(); }
  std::byte* at(std::uint64_t off) const { return m_map.data() + off; }
  // Whether file data can be reached through bytes() (false for meta_files: only the superblock
  // and log, [0, metadata_end()), are mapped).
  bool data_mapped() const { return m_kind != DeviceKind::meta_files; }
  std::uint64_t metadata_end() const { return m_meta_end; }

  // Allocates the backing store of [off, off+len) before it is written. A regular backing file
  // is usually sparse: writing a hole when its file system (a tmpfs) is full raises SIGBUS,
  // which would look like a media error. Here it is Errc::no_space, "no space left on the
  // backing file system". Memory devices, and file systems without fallocate, need nothing.
  Result<void> reserve(std::uint64_t off, std::uint64_t len) const;
  // Makes [off, off+len) durable and visible to other hosts: msync for files and pmem block
  // devices (mapped through this host's page cache, which other hosts never see), cache-line
  // write-back (clwb, else clflushopt, else clflush) plus a fence for devdax.
  Result<void> persist(std::uint64_t off, std::uint64_t len) const;
  // Fills [off, off+len) with `len` bytes of `src_fd` read from `src_off`, without persisting
  // them (persist() follows); no reserve() is needed first. A regular file or a pmem block
  // device is written through its descriptor (copy_file_range(2), else read(2) and pwrite(2))
  // into the page cache that the mapping shows, so no page of the mapping is faulted in one by
  // one, and a full backing file system is ENOSPC, not SIGBUS. A devdax device has no
  // write path: its range is prefaulted (MADV_POPULATE_WRITE, whole 2 MiB pages where it maps
  // them) and read into the mapping. Errors: the source fails or ends early (Errc::io), no space
  // on the backing file system (as reserve()), a media error (device memory lost; a backing file
  // that shrank under the mapping counts, since write(2) would grow it back) (core/device_io.cpp).
  Result<void>
  write_from(std::uint64_t off, std::uint64_t len, int src_fd, std::uint64_t src_off) const;
  // Drops cached copies of [off, off+len) before reading memory that another host may have
  // written: CPU cache lines (clflushopt/clflush plus fence) for devdax; this host's page cache
  // pages for a pmem block device (unmapped here, then dropped with POSIX_FADV_DONTNEED, so the
  // next access reads the memory); a no-op for regular files.
  void invalidate(std::uint64_t off, std::uint64_t len) const;
  // Whether reads see this host's page cache rather than the memory (a pmem block device): then
  // every read of memory that another host writes must invalidate() first.
  bool page_cached() const { return m_kind == DeviceKind::pmem; }
  // With Coherence::non_coherent, persist() and invalidate() flush caches even on regular files
  // (--non-coherent).
  void set_coherence(Coherence c) { m_non_coherent = c == Coherence::non_coherent; }
  // Test hook: called with (off, len) of every range invalidate() drops from the caches (only
  // when it does drop: devdax, pmem, or a regular file with set_non_coherent). Set it before
  // other threads use the device; the observer must be thread-safe.
  using InvalidateObserver = std::function<void(std::uint64_t off, std::uint64_t len)>;
  void set_invalidate_observer(InvalidateObserver f) { m_on_invalidate = std::move(f); }

private:
  // Maps the superblock file at 0 and the log file at the log offset over m_map.
  Result<void> overlay_meta(const OpenedMetaFiles& f, Access access);
  void drop_cached_pages(std::uint64_t off, std::uint64_t len) const;
  // The "no space left on the backing file system" error of writing [off, off+len).
  Error no_space(int err, std::uint64_t off, std::uint64_t len) const;
  // write_from() through the descriptor.
  Result<void>
  write_through_fd(std::uint64_t off, std::uint64_t len, int src_fd, std::uint64_t src_off) const;
  // Errc::media when a regular backing file no longer holds [off, off+len) (it shrank).
  Result<void> check_backed(std::uint64_t off, std::uint64_t len) const;

  std::string m_path;
  std::string m_lock_path; // meta_files: the .meta/.log file
  DeviceKind m_kind = DeviceKind::file;
  UniqueFd m_fd;
  Mapping m_map;
  std::uint64_t m_meta_end = 0; // meta_files: the end of the mapped log; otherwise the size
  bool m_non_coherent = false;
  InvalidateObserver m_on_invalidate;
};

// Size and checks of a devdax device through libdaxctl (core/daxdev.cpp).
struct DaxInfo {
  std::uint64_t size = 0;
  std::uint64_t align = 0;
  std::string mode; // "devdax", "famfs", "system-ram", "unbound"
};
Result<DaxInfo> daxdev_info(const std::string& path);

// Whether `path` names a dax character device by name ("/dev/daxX.Y"), existing or not.
bool looks_like_daxdev(const std::string& path);

// Puts the dax device at `path` in `mode` ("devdax": device_dax through libdaxctl
// daxctl_dev_enable_devdax; "famfs": the fsdev_dax driver through sysfs, failing clearly when
// that driver is absent). A device in system-ram mode is offlined first (libdaxctl); that fails
// when the memory is in use. Returns the mode it had, for daxdev_restore_mode.
Result<std::string> daxdev_set_mode(const std::string& path, const std::string& mode);

// Restores a mode daxdev_set_mode returned ("devdax", "famfs", "system-ram" or "unbound").
Result<void> daxdev_restore_mode(const std::string& path, const std::string& mode);

// Cache maintenance primitives (core/persist.cpp); exposed for tests and the CLI's flush.
void flush_range(const void* addr, std::uint64_t len);      // write back (and maybe invalidate)
void invalidate_range(const void* addr, std::uint64_t len); // write back and invalidate
const char* flush_instruction();                            // "clwb", "clflushopt" or "clflush"

} // namespace famfs::core

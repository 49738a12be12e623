// What a FUSE server is told when it starts (ServerOptions), carried unchanged from the command
// line (cli/cmd_mount.cpp) through the daemon (fuse/daemon.hpp DaemonConfig::server) to every
// room of the server, and the constants its rooms share.
#pragma once

#include "core/meta_source.hpp"
#include "core/system_uuid.hpp"
#include "fuse/kernel_abi.hpp"
#include "fuse/protocol.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace famfs::core {
struct Replayed;
}

namespace famfs::fuse {

// Largest READ/WRITE we negotiate (max_write, max_read and max_pages all say 1 MiB).
inline constexpr u32 k_max_io = 1U << 20;
// Each request buffer: the largest WRITE plus room for its headers.
inline constexpr std::size_t k_request_buffer = k_max_io + 4096;
// The xattr that shows a file's map (log/fmap.hpp fmap_text).
inline constexpr std::string_view k_fmap_xattr = "user.famfs.fmap";
// The xattr on the mount root that reports the daemon's state (a MountStatus, as to_text()), for
// famfs status and for mount's check that a device is not mounted twice by one host.
inline constexpr std::string_view k_status_xattr = "user.famfs.status";
// The xattr on the mount root that asks the daemon to follow the log now (famfs logplay): reading
// it applies new entries (one follow step, retrying an entry that failed), then answers the
// status. Not listed by LISTXATTR, so that a dump of all xattrs does not trigger it.
inline constexpr std::string_view k_logplay_xattr = "user.famfs.logplay";
// The xattr of a file that asks the daemon to drop the kernel's cached pages of it (famfs flush):
// reading it sends FUSE_NOTIFY_INVAL_INODE for the file's data in page-cache mode, then answers
// k_invalidated, or k_uncached when the mount caches nothing. Not listed by LISTXATTR.
inline constexpr std::string_view k_invalidate_xattr = "user.famfs.invalidate";
inline constexpr std::string_view k_invalidated = "invalidated";
inline constexpr std::string_view k_uncached = "uncached";
// How often a mount that does not follow the log by itself still checks it for clobbering.
inline constexpr std::chrono::milliseconds k_clobber_check_interval{200};

// What `data_path` reports, for `famfs status` (the status xattr).
inline constexpr std::string_view k_data_path_userspace = "userspace";
inline constexpr std::string_view k_data_path_kernel = "kernel (famfs fmap)";

// How the daemon talks to the kernel (`famfs mount --transport`).
enum class Transport {
  automatic, // FUSE over io_uring where the kernel offers it (enable_uring=Y), else /dev/fuse
  dev_fuse,  // read(2)/write(2) on /dev/fuse always
};

struct ServerOptions {
  // WRITE allowed (inside files only). Client hosts mount read-only unless --writable.
  bool writable = false;
  // Worker threads; 0 means one per CPU (at least 2, at most 16).
  unsigned threads = 0;
  // How long the kernel may trust a name (LOOKUP, READDIRPLUS) and an inode's attributes. Long,
  // because nothing a mount serves changes behind the kernel's back: names are never removed or
  // renamed (the log only appends; a missing name gets a plain ENOENT, which the kernel does
  // not cache), a file's size and map never change, mode/owner/times never change (SETATTR
  // refuses to change them), and the one attribute the log
  // can change, a directory's nlink when a subdirectory appears, is invalidated by a
  // notification (LogFollower::step). Short timeouts cost a LOOKUP or GETATTR round trip per
  // file on every `ls -l` once they lapse.
  Timeout entry_timeout = Timeout::from_ms(3600 * 1000);
  // The log as famfs mount replayed it before starting the server (core::health_problems), taken
  // over by the server, which then applies only the entries appended since (after the clobber
  // check of the last one replayed). Null: the server replays the whole log itself.
  std::shared_ptr<core::Replayed> replayed;
  Timeout attr_timeout = Timeout::from_ms(3600 * 1000);
  // How often the housekeeping thread looks for new log entries (--follow-interval); lookups
  // and directory listings also catch up at once. Zero: the mount does not follow the log by
  // itself (ticks, lookups and listings apply nothing); new entries are applied only when asked
  // through k_logplay_xattr (famfs logplay). Clobber checks go on every k_clobber_check_interval.
  std::chrono::milliseconds follow_interval{200};
  // At most this many new entries per follow step (a tick, a lookup or a logplay request); 0:
  // all. A test knob (--follow-batch) that leaves a client part way through a batch of entries.
  u64 follow_batch = 0;
  // Which numbering of the famfs kernel extension to recognise.
  const FamfsAbi* famfs_abi = &k_default_famfs_abi;
  // The backing device can be mapped by a famfs kernel (a dax device bound to fsdev_dax, on a
  // 4 KiB-page / 2 MiB-PMD host: core/dax_sysfs.hpp kernel_can_map): when the kernel offers the
  // famfs flag at INIT (at a minor where it means famfs) we accept it and serve GET_FMAP /
  // GET_DAXDEV, and file data no longer passes through us. The daemon sets it; unit tests set it
  // over a regular file (no dax hardware here). Off: the userspace data path, always.
  bool fmap_capable = false;
  // A famfs-mode device (core/meta_source.hpp MountSequence::famfs_mode): the .meta files of this
  // mount. The image is then a copy of the superblock and log that famfs mount took in devdax
  // mode; Server::run refuses to serve unless INIT negotiated famfs (Errc::unsupported, with
  // famfs_mode_refusal's reason), then maps these files over the copy
  // (LogFollower::switch_metadata: the kernel maps them with DAX) before it reports the mount
  // ready, and the log is followed through them from then on. The daemon sets it for an image of
  // kind meta_files; unit tests point it at regular files.
  std::optional<core::MetaFiles> famfs_mode_meta;
  // Acknowledge the ABI's INIT bit above its highest famfs minor where the row allows it
  // (FamfsAbi::minor_overridable, `--famfs-abi-any-minor`).
  bool famfs_any_minor = false;
  // The path GET_DAXDEV names (index 0); empty means the image's device path.
  std::string daxdev_path;
  // This mount's host, as the status xattr reports it: its role and its system UUID.
  core::Role role = core::Role::master;
  std::string host_uuid;
  // Page-cache mode (-o cache, --cache): OPEN answers FOPEN_KEEP_CACHE instead of
  // FOPEN_DIRECT_IO, so the kernel reads ahead, keeps file pages in its page cache across opens
  // and maps them for mmap. Coherence (ARCHITECTURE.md, "Page-cache mode"): writes through this
  // mount update the cache (FUSE writes through it); nothing else does until a `famfs flush` of
  // the file drops its pages (k_invalidate_xattr). Off: every read is a round trip to us.
  bool page_cache = false;
  // Memory that is not cache-coherent between hosts (--non-coherent; the device also flushes
  // after writes): each follow step invalidates what it reads before reading it, and nothing
  // more: the superblock and the log header, the last applied entry (re-checked for clobbering)
  // and the new entries it applies.
  bool non_coherent = false;
  // The transport asked for on the command line.
  Transport transport = Transport::automatic;
  // Set by Server::run, never by the command line: the io_uring rings are ready, so INIT may
  // acknowledge FUSE_OVER_IO_URING when the kernel offers it.
  bool io_uring_ready = false;
  // Test hook: called with each decoded request just before its handler runs (a unit test makes
  // it throw, to check that a failing handler costs one error reply, not the daemon).
  std::function<void(const Request&)> before_handler;
};

} // namespace famfs::fuse

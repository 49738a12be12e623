// The famfs kernel extension's wire structures (shared/spec/fuse-famfs-protocol.md §3, §4) and
// their pure encoders: a file's map as a GET_FMAP reply, a device path as a GET_DAXDEV reply.
// Every limit the V7 kernel enforces is checked here, so a map the kernel would refuse (or
// misread) is refused by us with a message naming the limit, never handed over.
#pragma once

#include "fuse/kernel_abi.hpp"
#include "log/records.hpp"
#include "log/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace famfs::fuse {

// Limits of the V7 kernel (fs/fuse/famfs.c famfs_fuse_meta_alloc, uapi fuse.h). The extent and
// strip caps are per revision: FamfsAbi::max_extents / max_strips (fuse/kernel_abi.hpp).
inline constexpr std::uint32_t k_famfs_fmap_version = 1;
// The longest reply a revision takes is FamfsAbi::max_reply (a page up to V10: FMAP_BUFSIZE).
// Offsets, lengths and chunk sizes must be PMD-aligned. famfs maps are built for a 2 MiB PMD;
// the daemon refuses the kernel data path on a host whose PMD (or page) differs
// (core/dax_sysfs.hpp host_geometry_fits), so this constant holds wherever fmaps are offered.
inline constexpr std::uint64_t k_famfs_pmd_size = 2ULL << 20;
inline constexpr std::size_t k_daxdev_name_max = 256; // DAXDEV_NAME_MAX

enum class FamfsFileType : std::uint8_t { reg = 0, superblock = 1, log = 2 };
enum : std::uint32_t { k_famfs_ext_simple = 0, k_famfs_ext_interleave = 1 };

// struct fuse_famfs_fmap_header (32 bytes).
struct FamfsFmapHeader {
  std::uint8_t file_type;
  std::uint8_t reserved;
  std::uint16_t fmap_version;
  std::uint32_t ext_type;
  std::uint32_t nextents;
  // Offset 12: reserved (zero) up to V10, which ignore it; the next revision (upstream famfs
  // markdown/kabi-44.md, fuse-famfs-protocol.md §9) reads it as the whole message's size in
  // bytes. We always write the size.
  std::uint32_t fmap_size;
  std::uint64_t file_size;
  std::uint64_t reserved1;
};
// struct fuse_famfs_simple_ext (24 bytes): a simple extent, or one strip of an interleave.
struct FamfsSimpleExt {
  std::uint32_t se_devindex;
  std::uint32_t reserved;
  std::uint64_t se_offset;
  std::uint64_t se_len;
};
// struct fuse_famfs_iext (24 bytes): an interleaved extent, followed by its strips.
struct FamfsIext {
  std::uint32_t ie_nstrips;
  std::uint32_t ie_chunk_size;
  std::uint64_t ie_nbytes;
  std::uint64_t reserved;
};
// struct fuse_daxdev_out (280 bytes).
struct FamfsDaxdevOut {
  std::uint16_t index;
  std::uint16_t reserved;
  std::uint32_t reserved2;
  std::uint64_t reserved3;
  std::uint64_t reserved4;
  char name[k_daxdev_name_max];
};

static_assert(sizeof(FamfsFmapHeader) == 32 && offsetof(FamfsFmapHeader, ext_type) == 4
              && offsetof(FamfsFmapHeader, nextents) == 8
              && offsetof(FamfsFmapHeader, fmap_size) == 12
              && offsetof(FamfsFmapHeader, file_size) == 16);
static_assert(sizeof(FamfsSimpleExt) == 24 && offsetof(FamfsSimpleExt, se_offset) == 8
              && offsetof(FamfsSimpleExt, se_len) == 16);
static_assert(sizeof(FamfsIext) == 24 && offsetof(FamfsIext, ie_chunk_size) == 4
              && offsetof(FamfsIext, ie_nbytes) == 8);
static_assert(sizeof(FamfsDaxdevOut) == 280 && offsetof(FamfsDaxdevOut, name) == 24);

// The GET_FMAP reply body for a file of `file_size` bytes with map `map`. Simple maps become
// header + one simple extent each; interleaved maps (one interleaved extent, log/records.hpp)
// become header + one iext (ie_nbytes = file_size) + its strips, or, under a simple-only
// revision (FamfsAbi::simple_only), one simple extent per chunk (chunk c of the file is chunk
// c / n of strip c % n; as many as cover file_size, at least one). Errc::invalid_argument with
// a message naming the broken limit when the kernel could not take the map: no extents, more
// than abi.max_extents extents or abi.max_strips strips, a message over abi.max_reply bytes, a
// device index other than 0, an offset, length or chunk size not 2 MiB-aligned (or a chunk over
// 4 GiB), a stripe past the end of its strip, or a map that cannot hold file_size bytes. The
// header's fmap_size (offset 12) is the message's size; under an ABI with a fixed reply size
// (FamfsAbi::fixed_reply, RFC V1) the message is then padded with zeros to that size.
Result<std::vector<std::byte>> encode_famfs_fmap(const log::Fmap& map,
                                                 std::uint64_t file_size,
                                                 const FamfsAbi& abi = k_default_famfs_abi,
                                                 FamfsFileType type = FamfsFileType::reg);

// The reply to a size-probing GET_FMAP (FamfsAbi::size_probe) whose kernel buffer holds
// `buffer` bytes: `msg` when it fits, else its 32-byte header alone, whose fmap_size the kernel
// retries with.
std::vector<std::byte> fit_famfs_fmap_reply(std::vector<std::byte> msg, std::uint32_t buffer);

// The GET_DAXDEV reply body naming `path` (NUL-terminated). Errc::invalid_argument when the path
// is empty or does not fit in 256 bytes with its NUL.
Result<std::vector<std::byte>> encode_famfs_daxdev(std::string_view path, std::uint16_t index = 0);

} // namespace famfs::fuse

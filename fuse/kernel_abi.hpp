// The FUSE kernel ABI we speak: <linux/fuse.h> (linux-libc-dev 6.1, protocol 7.38) plus the
// newer bits we use, defined here and only here, each with its source.
#pragma once

#include <linux/fuse.h>

#include <cstdint>
#include <string_view>

namespace famfs::fuse {

// The protocol version we implement. INIT replies min(kernel minor, this).
inline constexpr std::uint32_t k_kernel_major = FUSE_KERNEL_VERSION;       // 7
inline constexpr std::uint32_t k_kernel_minor = FUSE_KERNEL_MINOR_VERSION; // 38 in the 6.1 header
// The oldest minor we accept (fuse_init_out has its 64-byte layout from 7.23 on).
inline constexpr std::uint32_t k_min_kernel_minor = 23;

static_assert(FUSE_KERNEL_VERSION == 7, "the FUSE major version changed");
static_assert(FUSE_KERNEL_MINOR_VERSION >= 36, "need <linux/fuse.h> 7.36 or newer (flags2)");

// FUSE_DIRECT_IO_ALLOW_MMAP: "allow shared mmap in FOPEN_DIRECT_IO mode". Protocol 7.39, INIT
// flag bit 36, i.e. flags2 bit 4. Source: linux include/uapi/linux/fuse.h 7.39 (v6.6), where it
// was first named FUSE_DIRECT_IO_RELAX.
inline constexpr std::uint32_t k_flags2_direct_io_allow_mmap = 1U << (36 - 32);

// The famfs kernel extension (shared/spec/fuse-famfs-protocol.md §1, §2, §9): an INIT flags2 bit
// saying "this server serves fmaps", and two opcodes. Their numbers moved between patch
// revisions, so they live in one table selected by revision (`famfs mount --famfs-abi NAME`).
// The server acknowledges the flag only over a devdax device (fuse/server.hpp fmap_capable) and
// answers both opcodes ENOSYS unless it did.
struct FamfsAbi {
  std::string_view name;
  std::uint32_t flags2_dax_fmap; // mask in fuse_init_{in,out}.flags2
  std::uint32_t op_get_fmap;
  std::uint32_t op_get_daxdev;
  std::uint32_t max_extents; // FUSE_FAMFS_MAX_EXTENTS: simple extents per fmap
  std::uint32_t max_strips;  // FUSE_FAMFS_MAX_STRIPS: strips per interleaved extent
};

// jagalactic/libfuse branch "famfs", March 2025 (RFC V1, kernel 6.14 era): INIT bit 42, opcodes
// 53/54. Source: fuse-famfs-protocol.md §9 (JL). Same struct layouts; that RFC capped simple
// extents at 2 and strips at 16.
inline constexpr FamfsAbi k_famfs_abi_rfc2025 = {"rfc2025", 1U << (42 - 32), 53, 54, 2, 16};
// "[PATCH V7 00/19] famfs: port into fuse" (2026-01-18, same wire as V10): FUSE_DAX_FMAP =
// 1ULL << 43 (flags2 bit 11), FUSE_GET_FMAP = 54, FUSE_GET_DAXDEV = 55. Source:
// fuse-famfs-protocol.md §1, §2 (K11, K12, K14, L2).
// Limits 32 extents, 32 strips (L2, K13).
inline constexpr FamfsAbi k_famfs_abi_v7 = {"v7", 1U << (43 - 32), 54, 55, 32, 32};

inline constexpr FamfsAbi k_famfs_abis[] = {k_famfs_abi_v7, k_famfs_abi_rfc2025};
inline constexpr const FamfsAbi& k_default_famfs_abi = k_famfs_abi_v7;

// The ABI named `name` ("v7", "rfc2025"); nullptr when unknown.
constexpr const FamfsAbi* famfs_abi(std::string_view name) {
  for (const auto& a : k_famfs_abis) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

} // namespace famfs::fuse

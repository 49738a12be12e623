// The FUSE kernel ABI we speak: <linux/fuse.h> (linux-libc-dev 6.1, protocol 7.38) plus the
// newer bits we use, defined here and only here, each with its source.
#pragma once

#include <linux/fuse.h>

#include <cstddef>
#include <cstdint>
#include <string>
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

// FUSE over io_uring (protocol 7.42, Linux 6.14; include/uapi/linux/fuse.h and
// fs/fuse/dev_uring.c). The kernel offers FUSE_OVER_IO_URING (INIT flag bit 41, i.e. flags2 bit 9)
// only while the fuse module's enable_uring parameter is Y; a server that acknowledges it must
// then register ring entries for every queue (one per possible CPU) with IORING_OP_URING_CMD on a
// SQE128 ring, or every request blocks. Requests and replies then move through the entries'
// buffers; FORGET and INTERRUPT still come through /dev/fuse, and notifications are still written
// there.
inline constexpr std::uint32_t k_flags2_over_io_uring = 1U << (41 - 32);
// fuse_uring_cmd: the cmd_op of an IORING_OP_URING_CMD on /dev/fuse.
inline constexpr std::uint32_t k_uring_cmd_register = 1;
inline constexpr std::uint32_t k_uring_cmd_commit_and_fetch = 2;
// The kernel's FUSE_URING_IN_OUT_HEADER_SZ and FUSE_URING_OP_IN_OUT_SZ.
inline constexpr std::size_t k_uring_in_out_size = 128;
inline constexpr std::size_t k_uring_op_in_size = 128;
// struct fuse_uring_ent_in_out: commit_id is the request's unique; payload_sz the bytes used in
// the payload buffer (kernel to server on a request, server to kernel on a reply).
struct UringEntInOut {
  std::uint64_t flags;
  std::uint64_t commit_id;
  std::uint32_t payload_sz;
  std::uint32_t padding;
  std::uint64_t reserved;
};
// struct fuse_uring_req_header: the header buffer of an entry (iovec 0). in_out holds the
// fuse_in_header of a request, then the fuse_out_header of its reply; op_in holds the request's
// first argument (the per-opcode struct, e.g. fuse_read_in), the rest is in the payload (iovec 1).
struct UringReqHeader {
  std::byte in_out[k_uring_in_out_size];
  std::byte op_in[k_uring_op_in_size];
  UringEntInOut ring_ent_in_out;
};
// struct fuse_uring_cmd_req: the 80-byte command area of the SQE128 (we use its first 24 bytes).
struct UringCmdReq {
  std::uint64_t flags;
  std::uint64_t commit_id;
  std::uint16_t qid;
  std::uint8_t padding[6];
};
static_assert(sizeof(UringEntInOut) == 32 && sizeof(UringReqHeader) == 288);
static_assert(sizeof(UringCmdReq) == 24 && offsetof(UringCmdReq, qid) == 16);

// The famfs kernel extension (shared/spec/fuse-famfs-protocol.md §1, §2, §9): an INIT flags2 bit
// saying "this server serves fmaps", and two opcodes. Their numbers moved between patch
// revisions, so each revision is one row of a table (`famfs mount --famfs-abi NAME`): the next
// revision is a new row, not a fork of the code. The server acknowledges the flag only over a
// device the kernel can map (fuse/server.hpp fmap_capable), at a protocol minor where the bit can
// mean famfs (famfs_init_decision below), and answers both opcodes ENOSYS unless it did.
struct FamfsAbi {
  std::string_view name;
  std::uint32_t flags2_dax_fmap; // mask in fuse_init_{in,out}.flags2
  std::uint32_t op_get_fmap;
  std::uint32_t op_get_daxdev;
  std::uint32_t max_extents; // FUSE_FAMFS_MAX_EXTENTS: simple extents per fmap
  std::uint32_t max_strips;  // FUSE_FAMFS_MAX_STRIPS: strips per interleaved extent
  // The highest protocol minor at which the bit and opcodes can mean famfs: above it upstream
  // gave them other meanings (fuse-famfs-protocol.md §9).
  std::uint32_t max_minor;
  // Whether `--famfs-abi-any-minor` may lift max_minor: only where the collision is with a
  // series that a famfs kernel might not carry, never where every such kernel offers the bit.
  bool minor_overridable;
  // Nonzero: GET_FMAP replies are padded with zeros to exactly this many bytes (the revision
  // posts a fixed buffer and checks the length). Zero: replies have their natural length.
  std::uint32_t fixed_reply;
  // Whether READDIRPLUS may stay on with fmaps: a revision that fetches fmaps only at LOOKUP
  // would otherwise see files whose entries came from READDIRPLUS without a map.
  bool readdirplus;
  // The longest GET_FMAP message the kernel takes: one page (it posts a PAGE_SIZE buffer), or
  // with size_probe the revision's cap.
  std::uint32_t max_reply;
  // Whether GET_FMAP requests carry the kernel's reply buffer size (u32 size, u32 padding, as
  // fuse_getxattr_in): a message longer than that is answered with its 32-byte header alone,
  // whose fmap_size the kernel retries with (famfs_fmap.hpp fit_famfs_fmap_reply).
  bool size_probe;
  // Whether the revision takes simple extents only: an interleaved map is sent unrolled, one
  // simple extent per chunk (encode_famfs_fmap).
  bool simple_only;
  // Whether devices are pushed by the server (an ioctl on /dev/fuse, before any fmap names
  // them) instead of fetched with GET_DAXDEV (then op_get_daxdev is 0). The ioctl's number is
  // not published, so the push is not implemented: such a row is a draft.
  bool daxdev_push;
  // A revision not posted as a kernel series: in the table and tested with the fake kernel,
  // not offered by `famfs mount --famfs-abi`.
  bool draft;
};

// One page: the GET_FMAP buffer of every posted revision.
inline constexpr std::uint32_t k_famfs_reply_page = 4096;
// The size-probing revision's largest GET_FMAP buffer (fuse-famfs-protocol.md §9: -EFBIG above).
inline constexpr std::uint32_t k_famfs_reply_probe_cap = 16U << 20;

// jagalactic/libfuse branch "famfs", March 2025 (RFC V1, kernel 6.14 era): INIT bit 42, opcodes
// 53/54. Source: fuse-famfs-protocol.md §9 (JL). Same struct layouts; that RFC capped simple
// extents at 2 and strips at 16, posted a fixed 4096-byte GET_FMAP buffer and fetched fmaps at
// LOOKUP only (issue 22). Bit 42 is FUSE_REQUEST_TIMEOUT from protocol 7.43 (offered by every
// such kernel) and opcode 53 is FUSE_COPY_FILE_RANGE_64 from 7.45: never famfs above 7.42.
inline constexpr FamfsAbi k_famfs_abi_rfc2025 = {.name = "rfc2025",
                                                 .flags2_dax_fmap = 1U << (42 - 32),
                                                 .op_get_fmap = 53,
                                                 .op_get_daxdev = 54,
                                                 .max_extents = 2,
                                                 .max_strips = 16,
                                                 .max_minor = 42,
                                                 .minor_overridable = false,
                                                 .fixed_reply = k_famfs_reply_page,
                                                 .readdirplus = false,
                                                 .max_reply = k_famfs_reply_page,
                                                 .size_probe = false,
                                                 .simple_only = false,
                                                 .daxdev_push = false,
                                                 .draft = false};
// "[PATCH V7 00/19] famfs: port into fuse" (2026-01-18, same wire as V10): FUSE_DAX_FMAP =
// 1ULL << 43 (flags2 bit 11), FUSE_GET_FMAP = 54, FUSE_GET_DAXDEV = 55. Source:
// fuse-famfs-protocol.md §1, §2 (K11, K12, K14, L2). Limits 32 extents, 32 strips (L2, K13).
// The series sits on protocol 7.45; 7.46 gave bit 43 to FUSE_HAS_IO_URING_BUFPOOL (§9), and
// other in-flight series claim it too, so above 45 only with the explicit override.
inline constexpr FamfsAbi k_famfs_abi_v7 = {.name = "v7",
                                            .flags2_dax_fmap = 1U << (43 - 32),
                                            .op_get_fmap = 54,
                                            .op_get_daxdev = 55,
                                            .max_extents = 32,
                                            .max_strips = 32,
                                            .max_minor = 45,
                                            .minor_overridable = true,
                                            .fixed_reply = 0,
                                            .readdirplus = true,
                                            .max_reply = k_famfs_reply_page,
                                            .size_probe = false,
                                            .simple_only = false,
                                            .daxdev_push = false,
                                            .draft = false};
// The next revision as upstream famfs's drafts describe it (markdown/kabi-44.md,
// markdown/fuse-extents.md; fuse-famfs-protocol.md §9 "post-V10 drafts", unposted): header
// offset 12 is fmap_size; GET_FMAP carries the reply buffer size and the kernel retries once
// with fmap_size when the message did not fit (a page first, at most 16 MiB); simple extents
// only, interleaves unrolled by the server; FUSE_FAMFS_MAX_EXTENTS 524288; devices pushed with
// FUSE_DEV_IOC_DAXDEV_OPEN instead of GET_DAXDEV. Its INIT bit and opcode numbers are not
// published: V7's stand in, on V7's minors.
inline constexpr FamfsAbi k_famfs_abi_kabi44 = {.name = "kabi44",
                                                .flags2_dax_fmap = 1U << (43 - 32),
                                                .op_get_fmap = 54,
                                                .op_get_daxdev = 0,
                                                .max_extents = 524288,
                                                .max_strips = 0,
                                                .max_minor = 45,
                                                .minor_overridable = true,
                                                .fixed_reply = 0,
                                                .readdirplus = true,
                                                .max_reply = k_famfs_reply_probe_cap,
                                                .size_probe = true,
                                                .simple_only = true,
                                                .daxdev_push = true,
                                                .draft = true};

inline constexpr FamfsAbi k_famfs_abis[] = {k_famfs_abi_v7, k_famfs_abi_rfc2025,
                                            k_famfs_abi_kabi44};
inline constexpr const FamfsAbi& k_default_famfs_abi = k_famfs_abi_v7;

// The ABI named `name` ("v7", "rfc2025", "kabi44"); nullptr when unknown.
constexpr const FamfsAbi* famfs_abi(std::string_view name) {
  for (const auto& a : k_famfs_abis) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}
// The same for `famfs mount --famfs-abi` / -o famfs_abi=: drafts are not offered.
constexpr const FamfsAbi* offered_famfs_abi(std::string_view name) {
  const FamfsAbi* a = famfs_abi(name);
  return a != nullptr && !a->draft ? a : nullptr;
}

// What INIT does about famfs (fuse/kernel_abi.cpp): whether to acknowledge the ABI's bit, which
// INIT flags (64-bit, flags2 in the high half) to add to and drop from the reply, and why.
struct FamfsInitDecision {
  bool famfs = false;
  bool offered = false; // the kernel set the ABI's bit (with FUSE_INIT_EXT), whatever we did
  std::uint64_t add_flags = 0;
  std::uint64_t drop_flags = 0;
  std::string reason; // for the trace
};
// The decision for a kernel at protocol 7.`kernel_minor` sending INIT flags `kernel_flags`
// (flags | flags2 << 32), for a server that can (`fmap_capable`) or cannot serve fmaps, with or
// without the explicit override `any_minor`. famfs iff the kernel offered the bit (with
// FUSE_INIT_EXT), the server is capable and the minor is one where the bit means famfs.
FamfsInitDecision famfs_init_decision(const FamfsAbi& abi,
                                      std::uint32_t kernel_minor,
                                      std::uint64_t kernel_flags,
                                      bool fmap_capable,
                                      bool any_minor);

// The name of opcode `op` as a kernel at protocol 7.`minor` means it, for a server speaking
// `abi`, for the numbers famfs revisions used (53..55): "COPY_FILE_RANGE_64" for 53 from 7.45,
// "GET_FMAP(v7)" for `abi`'s opcode where its minor fits, else "op<N>". Minor 0 (before INIT):
// `abi`'s names. Empty for every other opcode (protocol.cpp opcode_name names those).
std::string famfs_opcode_label(std::uint32_t op, std::uint32_t minor, const FamfsAbi& abi);

// Why a famfs-mode device cannot be served after INIT decided `d` without famfs: "this kernel has
// no FUSE famfs support (a famfs-mode device needs it)" when the kernel did not offer the bit,
// else why its offer was not acknowledged (d.reason). Empty when d.famfs.
std::string famfs_mode_refusal(const FamfsInitDecision& d);

} // namespace famfs::fuse

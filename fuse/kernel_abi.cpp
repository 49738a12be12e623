// The famfs INIT decision and the minor-dependent opcode names: pure functions over the ABI
// table (fuse/kernel_abi.hpp), so every row is tested the same way.
#include "fuse/kernel_abi.hpp"

#include <fmt/format.h>

namespace famfs::fuse {

namespace {

// FUSE_COPY_FILE_RANGE_64: protocol 7.45 (linux include/uapi/linux/fuse.h, v6.18). Not in the
// 7.38 header we build against.
constexpr std::uint32_t k_op_copy_file_range_64 = 53;
constexpr std::uint32_t k_minor_copy_file_range_64 = 45;

bool minor_fits(const FamfsAbi& abi, std::uint32_t minor, bool any_minor) {
  return minor <= abi.max_minor || (any_minor && abi.minor_overridable);
}

} // namespace

FamfsInitDecision famfs_init_decision(const FamfsAbi& abi,
                                      std::uint32_t kernel_minor,
                                      std::uint64_t kernel_flags,
                                      bool fmap_capable,
                                      bool any_minor) {
  const std::uint64_t bit = static_cast<std::uint64_t>(abi.flags2_dax_fmap) << 32;
  FamfsInitDecision d;
  if ((kernel_flags & FUSE_INIT_EXT) == 0 || (kernel_flags & bit) == 0) {
    d.reason = fmt::format("no famfs DAX fmaps offered ({} numbering)", abi.name);
    return d;
  }
  d.offered = true;
  if (!minor_fits(abi, kernel_minor, any_minor)) {
    d.reason = fmt::format(
        "kernel protocol 7.{} sets bit {}, which means famfs ({}) only up to 7.{}; above that "
        "it is another feature, so it is not acknowledged{}",
        kernel_minor, __builtin_ctzll(bit), abi.name, abi.max_minor,
        abi.minor_overridable ? " (--famfs-abi-any-minor overrides this)" : "");
    return d;
  }
  if (!fmap_capable) {
    d.reason = fmt::format("kernel offers famfs DAX fmaps ({}); not acknowledged: the device "
                           "cannot be mapped by the kernel, so this server carries the data",
                           abi.name);
    return d;
  }
  d.famfs = true;
  d.add_flags = bit | FUSE_INIT_EXT;
  if (!abi.readdirplus) {
    d.drop_flags = FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO;
  }
  d.reason = fmt::format("famfs DAX fmaps ({}) accepted at protocol 7.{}{}", abi.name, kernel_minor,
                         abi.readdirplus ? "" : "; READDIRPLUS off (fmaps at LOOKUP)");
  return d;
}

std::string famfs_mode_refusal(const FamfsInitDecision& d) {
  if (d.famfs) {
    return {};
  }
  if (!d.offered) {
    return "this kernel has no FUSE famfs support (a famfs-mode device needs it)";
  }
  return fmt::format("this kernel offers FUSE famfs, but not in a form this mount can use: {} (a "
                     "famfs-mode device needs it)",
                     d.reason);
}

std::string famfs_opcode_label(std::uint32_t op, std::uint32_t minor, const FamfsAbi& abi) {
  if (op == k_op_copy_file_range_64 && minor >= k_minor_copy_file_range_64) {
    return "COPY_FILE_RANGE_64";
  }
  if (op == 0) {
    return {}; // a row without the opcode (GET_DAXDEV of a push revision)
  }
  if ((op == abi.op_get_fmap || op == abi.op_get_daxdev) && minor <= abi.max_minor) {
    return fmt::format("{}({})", op == abi.op_get_fmap ? "GET_FMAP" : "GET_DAXDEV", abi.name);
  }
  for (const auto& row : k_famfs_abis) {
    if (op == row.op_get_fmap || op == row.op_get_daxdev) {
      return fmt::format("op{}", op);
    }
  }
  return {};
}

} // namespace famfs::fuse

// The opcode table (see ops.hpp). A row's decoder checks every length of its body; its handler
// (fuse/handlers.hpp) runs once the connection is initialised; rows without a handler are
// answered ENOSYS. Refused rows decode their body (so a malformed one gets EINVAL) and answer
// EPERM: famfs files and directories are made through the log, never through the mount.
#include "fuse/ops.hpp"

#include "fuse/decoders.hpp"
#include "fuse/handlers.hpp"

#include <fmt/format.h>

#include <array>

namespace famfs::fuse {

namespace {

namespace d = decoders;
using H = Handlers;
constexpr Answered k_never = Answered::never;

constexpr Op k_ops[] = {
    {FUSE_LOOKUP, "LOOKUP", d::name, &H::do_lookup},
    {FUSE_FORGET, "FORGET", d::forget, &H::do_forget, k_never},
    {FUSE_GETATTR, "GETATTR", d::getattr, &H::do_getattr},
    {FUSE_SETATTR, "SETATTR", d::setattr, &H::do_setattr},
    {FUSE_READLINK, "READLINK", d::none, &H::do_readlink},
    {FUSE_SYMLINK, "SYMLINK", d::refused<0, 2>, &H::do_refused},
    {FUSE_MKNOD, "MKNOD", d::refused<sizeof(fuse_mknod_in), 1>, &H::do_refused},
    {FUSE_MKDIR, "MKDIR", d::refused<sizeof(fuse_mkdir_in), 1>, &H::do_refused},
    {FUSE_UNLINK, "UNLINK", d::refused<0, 1>, &H::do_refused},
    {FUSE_RMDIR, "RMDIR", d::refused<0, 1>, &H::do_refused},
    {FUSE_RENAME, "RENAME", d::refused<sizeof(fuse_rename_in), 2>, &H::do_refused},
    {FUSE_LINK, "LINK", d::refused<sizeof(fuse_link_in), 1>, &H::do_refused},
    {FUSE_OPEN, "OPEN", d::open, &H::do_open},
    {FUSE_READ, "READ", d::read, &H::do_read},
    {FUSE_WRITE, "WRITE", d::write, &H::do_write},
    {FUSE_STATFS, "STATFS", d::none, &H::do_statfs},
    {FUSE_RELEASE, "RELEASE", d::release, &H::do_release},
    {FUSE_FSYNC, "FSYNC", d::fsync, &H::do_fsync},
    {FUSE_SETXATTR, "SETXATTR", d::refused<FUSE_COMPAT_SETXATTR_IN_SIZE, 1>, &H::do_refused},
    {FUSE_GETXATTR, "GETXATTR", d::getxattr, &H::do_getxattr},
    {FUSE_LISTXATTR, "LISTXATTR", d::listxattr, &H::do_listxattr},
    {FUSE_REMOVEXATTR, "REMOVEXATTR", d::refused<0, 1>, &H::do_refused},
    {FUSE_FLUSH, "FLUSH", d::flush, &H::do_flush},
    {FUSE_INIT, "INIT", d::init, &H::do_init},
    {FUSE_OPENDIR, "OPENDIR", d::open, &H::do_opendir},
    {FUSE_READDIR, "READDIR", d::read, &H::do_readdir},
    {FUSE_RELEASEDIR, "RELEASEDIR", d::release, &H::do_releasedir},
    {FUSE_FSYNCDIR, "FSYNCDIR", d::fsync, &H::do_fsyncdir},
    {FUSE_GETLK, "GETLK", d::unknown, nullptr},
    {FUSE_SETLK, "SETLK", d::unknown, nullptr},
    {FUSE_SETLKW, "SETLKW", d::unknown, nullptr},
    {FUSE_ACCESS, "ACCESS", d::access, &H::do_access},
    {FUSE_CREATE, "CREATE", d::refused<sizeof(fuse_create_in), 1>, &H::do_refused},
    {FUSE_INTERRUPT, "INTERRUPT", d::interrupt, &H::do_interrupt, k_never},
    {FUSE_BMAP, "BMAP", d::unknown, nullptr},
    {FUSE_DESTROY, "DESTROY", d::none, &H::do_destroy},
    {FUSE_IOCTL, "IOCTL", d::unknown, nullptr},
    {FUSE_POLL, "POLL", d::unknown, nullptr},
    {FUSE_NOTIFY_REPLY, "NOTIFY_REPLY", d::unknown, nullptr},
    {FUSE_BATCH_FORGET, "BATCH_FORGET", d::batch_forget, &H::do_batch_forget, k_never},
    {FUSE_FALLOCATE, "FALLOCATE", d::refused<sizeof(fuse_fallocate_in), 0>, &H::do_refused},
    {FUSE_READDIRPLUS, "READDIRPLUS", d::read, &H::do_readdirplus},
    {FUSE_RENAME2, "RENAME2", d::refused<sizeof(fuse_rename2_in), 2>, &H::do_refused},
    {FUSE_LSEEK, "LSEEK", d::unknown, nullptr},
    {FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE", d::unknown, nullptr},
    {FUSE_SETUPMAPPING, "SETUPMAPPING", d::unknown, nullptr},
    {FUSE_REMOVEMAPPING, "REMOVEMAPPING", d::unknown, nullptr},
    {FUSE_SYNCFS, "SYNCFS", d::unknown, nullptr},
    {FUSE_TMPFILE, "TMPFILE", d::refused<sizeof(fuse_create_in), 1>, &H::do_refused},
};

constexpr FamfsOp k_famfs_ops[] = {
    {&FamfsAbi::op_get_fmap, "GET_FMAP", &H::do_get_fmap},
    {&FamfsAbi::op_get_daxdev, "GET_DAXDEV", &H::do_get_daxdev},
};

// Standard opcodes are small numbers: an index from opcode to row.
constexpr std::size_t k_index_size = 64;

constexpr std::array<const Op*, k_index_size> make_index() {
  std::array<const Op*, k_index_size> index{};
  for (const Op& op : k_ops) {
    index.at(op.opcode) = &op; // a compile error when an opcode outgrows the index
  }
  return index;
}

constexpr std::array<const Op*, k_index_size> k_index = make_index();

} // namespace

const Op* find_op(u32 opcode) {
  return opcode < k_index.size() ? k_index[opcode] : nullptr;
}

const FamfsOp* find_famfs_op(const FamfsAbi& abi, u32 opcode) {
  for (const FamfsOp& op : k_famfs_ops) {
    if (abi.*op.opcode == opcode && opcode != 0) { // 0: the revision has no such opcode
      return &op;
    }
  }
  return nullptr;
}

std::string opcode_name(u32 opcode) {
  if (const Op* op = find_op(opcode)) {
    return std::string(op->name);
  }
  for (const auto& abi : k_famfs_abis) {
    if (const FamfsOp* op = find_famfs_op(abi, opcode)) {
      return fmt::format("{}({})", op->name, abi.name);
    }
  }
  return fmt::format("op{}", opcode);
}

std::string opcode_name(u32 opcode, u32 minor, const FamfsAbi& abi) {
  std::string label = famfs_opcode_label(opcode, minor, abi);
  return label.empty() ? opcode_name(opcode) : label;
}

} // namespace famfs::fuse

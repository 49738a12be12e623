#include "cli/command.hpp"

namespace famfs::cli {

const std::vector<CommandInfo>& command_table() {
  static const std::vector<CommandInfo> k_table = {
      {"mkfs", "create a famfs file system on a device", &add_mkfs},
      {"fsck", "check a famfs file system, and repair it with -y", &add_fsck, k_fsck_usage,
       k_fsck_operational},
      {"mount", "mount a famfs file system (starts its FUSE daemon)", &add_mount},
      {"umount", "unmount a famfs file system and stop its daemon", &add_umount},
      {"creat", "create and allocate files", &add_creat},
      {"mkdir", "create directories", &add_mkdir},
      {"cp", "copy files into famfs", &add_cp},
      {"logplay", "replay the log now and report what it holds", &add_logplay},
      {"verify", "verify the data pattern written by creat --randomize", &add_verify},
      {"getmap", "show where a file's data lives on the device", &add_getmap},
      {"check", "compare a mounted famfs with its log", &add_check, k_fsck_usage,
       k_fsck_operational},
      {"status", "show a mount's device, role, log use, daemon and health", &add_status},
      {"flush", "write back and invalidate the memory behind files", &add_flush},
      {"chkread", "check that reading a file and mapping it give the same bytes", &add_chkread},
      {"clone", "make a file that shares another's space (a cross-link, to test fsck)", &add_clone,
       k_exit_usage, k_exit_media, true},
  };
  return k_table;
}

} // namespace famfs::cli

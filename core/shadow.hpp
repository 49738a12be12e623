// Upstream famfs's "shadow tree" (famfs logplay --shadow DIR): the log replayed into an ordinary
// directory tree under DIR/root, a directory for each directory entry (its mode, owner and
// group) and, for each file entry, a YAML file at the file's path that holds its map, with
// upstream's layout and keys (famfs_yaml.c), so tools that read upstream's shadow files read
// these:
//   ---
//   file:
//     path: a/b
//     size: 4096
//     flags: 2
//     mode: 0644
//     uid: 0
//     gid: 0
//     nextents: 1
//     simple_ext_list:          (interleaved: striped_ext_list: - nstrips, chunk_size,
//     - devindex: 0                                              simple_ext_list: [...])
//       offset: 0xa00000
//       length: 0x200000
//   ...
#pragma once

#include "log/log_view.hpp"
#include "log/records.hpp"
#include "log/result.hpp"

#include <string>
#include <vector>

namespace famfs::core {

// The YAML document of one file entry.
std::string shadow_yaml(const log::FileEntry& f);

struct ShadowReport {
  std::string root; // DIR/root (DIR itself when it ends in "/root")
  log::u64 files = 0;
  log::u64 directories = 0;
  log::u64 existed = 0; // entries whose file or directory was there already (left as it is)
  std::vector<std::string> problems;
};

// Replays `log` into the shadow tree under `dir` (a writable directory; its "root"
// subdirectory is made when missing). Entries that do not decode, or paths that are not
// relative, are problems; replay goes on past them as upstream's does. With DryRun::yes,
// nothing is written.
enum class DryRun { no, yes };
Result<ShadowReport>
write_shadow_tree(const log::LogView& log, const std::string& dir, DryRun dry_run);

} // namespace famfs::core

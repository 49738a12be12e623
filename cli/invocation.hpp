// How the binary was called: as `famfs`, or under the names mkfs(8), fsck(8) and mount(8) look
// for (mkfs.famfs, fsck.famfs, mount.famfs, mount.fuse.famfs; installed as links), whose
// command-line conventions are turned into famfs's own here.
#pragma once

#include <string>
#include <vector>

namespace famfs::cli {

struct Invocation {
  std::vector<std::string> args; // the famfs command line, "famfs" first
  bool mount_helper = false;     // called as mount(8)'s helper: exit codes as mount(8)'s
};

Invocation invocation(int argc, char** argv);

// famfs's exit code as a mount(8) helper's: 0 mounted, 1 bad usage, 32 mount failure.
int mount_helper_exit(int code);

} // namespace famfs::cli

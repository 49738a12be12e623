// Whether a file system a reader has replayed part of is still the one it replayed: the checks
// the mount daemon (fuse/log_follower.cpp) and libfamfs (lib/) make before they trust new log
// entries.
// A clobber is another mkfs over the device, a log rewritten or shrunk under the reader, or a
// superblock or log header that no longer validates. Space is never reused in famfs, so a
// reader that has not seen a clobber may keep serving what it replayed.
#pragma once

#include "core/device.hpp"
#include "core/image.hpp"
#include "core/tree.hpp"
#include "log/log_view.hpp"
#include "log/uuid.hpp"

#include <string>
#include <vector>

namespace famfs::core {

// What a reader has replayed: enough to notice that the log changed under it.
struct ReplayMark {
  log::Uuid fs_uuid;          // the file system the reader opened
  u64 applied = 0;            // entries applied
  u64 crc_index = k_no_index; // the last applied entry (k_no_index: none yet)
  u64 crc = 0;                // its CRC when it was applied
  bool log_seen = false;      // a valid log header was seen at least once

  // Records that the first `applied` entries of `view` are applied.
  void remember(const log::LogView& view, u64 applied_now);
};

// Why the file system on `dev` is no longer the one `mark` describes ("" when it still is):
// the superblock must validate and keep its UUID, the log header `view` (as just read) must
// validate once it has been seen, the log must not shrink below the entries applied, and the
// last applied entry must keep its CRC. The caller invalidates cached copies of that entry
// first on non-coherent memory.
std::string
clobber_reason(const Device& dev, const ReplayMark& mark, const Result<log::LogView>& view);

// The tree a mount serves before it applies any entry: .meta, and the bounds of img's device.
Tree mount_tree(const Image& img);

// A mount's replay of the whole log, made once by famfs mount (for health_problems) and handed
// to the daemon it forks, which goes on from there with the entries appended since.
struct Replayed {
  Tree tree;           // mount_tree(img) with the log applied, up to a damaged entry
  ReplayMark mark;     // what it applied, so the daemon notices a log changed in between
  ReplayReport report; // what the replay met, for the daemon's trace
  u64 log_size = 0;    // the log's next index when it was replayed
};

// What makes a file system less than whole as a mount would see it, though nothing changed
// under the reader: replay that stops at a damaged log entry (the files logged after it are
// missing from the mount), and a device shorter than its superblock says (files past the end
// cannot be read). One sentence per problem, empty when there is none; an unreadable log is the
// one problem. famfs status reports these as not healthy, famfs mount warns; fsck says more.
// The replay is left in `replayed` when it is not null (and the log was readable).
std::vector<std::string> health_problems(const Image& img, Replayed* replayed = nullptr);

} // namespace famfs::core

#include "core/health.hpp"

#include "core/tree.hpp"

#include <fmt/format.h>

namespace famfs::core {

std::vector<std::string> health_problems(const Image& img) {
  std::vector<std::string> out;
  const auto& sb = img.superblock();
  const u64 have = img.device().size();
  if (have < sb.dev_size) {
    out.push_back(fmt::format("the device holds {} bytes, fewer than the {} its superblock "
                              "records: files past its end cannot be read",
                              have, sb.dev_size));
  }
  auto view = img.log();
  if (!view) {
    out.push_back(view.error().message);
    return out;
  }
  Tree tree; // replayed as the mount replays it
  tree.set_bounds(sb.log_offset + sb.log_len, have);
  const ReplayReport rr = tree.catch_up(*view, ~0ULL, Tree::KeepCreated::no);
  if (rr.stopped) {
    out.push_back(fmt::format("log replay stops at entry {} of {} ({}): the files and "
                              "directories logged after it are missing",
                              tree.applied(), view->size(), rr.problems.back()));
  }
  return out;
}

} // namespace famfs::core

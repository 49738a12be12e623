#include "core/log_health.hpp"

#include "core/image.hpp"

#include <fmt/format.h>

namespace famfs::core {

void ReplayMark::remember(const log::LogView& view, u64 applied_now) {
  applied = applied_now;
  log_seen = true;
  if (applied_now > 0) {
    crc_index = applied_now - 1;
    crc = log::entry_crc(view.slot(crc_index));
  }
}

std::string
clobber_reason(const Device& dev, const ReplayMark& mark, const Result<log::LogView>& view) {
  auto sb = read_superblock(dev);
  if (!sb) {
    return fmt::format("the superblock is no longer valid: {}", sb.error().message);
  }
  if (!(sb->fs_uuid == mark.fs_uuid)) {
    return fmt::format("the file system UUID changed from {} to {} (another host ran mkfs?)",
                       mark.fs_uuid.str(), sb->fs_uuid.str());
  }
  if (!view) {
    return mark.log_seen
               ? fmt::format("the log header is no longer valid: {}", view.error().message)
               : std::string();
  }
  if (view->size() < mark.applied) {
    return fmt::format("the log shrank: next_index {} is below the {} entries applied",
                       view->size(), mark.applied);
  }
  if (mark.crc_index != k_no_index && log::entry_crc(view->slot(mark.crc_index)) != mark.crc) {
    return fmt::format("{} changed after it was applied", view->where(mark.crc_index));
  }
  return {};
}

Tree mount_tree(const Image& img) {
  const auto& sb = img.superblock();
  Tree tree;
  tree.add_meta(sb.log_offset, sb.log_len);
  tree.set_bounds(sb.log_offset + sb.log_len, img.device().size()); // a bad map is not served
  return tree;
}

std::vector<std::string> health_problems(const Image& img, Replayed* replayed) {
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
  Tree tree = mount_tree(img); // replayed as the mount replays it
  ReplayReport rr = tree.catch_up(*view, ~0ULL, Tree::KeepCreated::no);
  if (rr.stopped) {
    out.push_back(fmt::format("log replay stops at entry {} of {} ({}): the files and "
                              "directories logged after it are missing",
                              tree.applied(), view->size(), rr.problems.back()));
  }
  if (replayed != nullptr) {
    replayed->mark = ReplayMark{};
    replayed->mark.fs_uuid = sb.fs_uuid;
    replayed->mark.remember(*view, tree.applied());
    replayed->tree = std::move(tree);
    replayed->report = std::move(rr);
    replayed->log_size = view->size();
  }
  return out;
}

} // namespace famfs::core

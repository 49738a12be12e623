// libFuzzer target: the superblock and log decoders, and replay into a tree, over hostile bytes.
// Input: [200-byte superblock][log region]. Everything must fail cleanly or succeed; nothing may
// read outside the input.
#include "core/tree.hpp"
#include "log/log_view.hpp"
#include "log/records.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace famfs;
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  auto sb = log::parse_superblock(in);
  if (sb) {
    (void)sb->fs_uuid.str();
  }
  if (size < log::k_superblock_size) {
    return 0;
  }
  auto logspan = in.subspan(log::k_superblock_size);
  auto view = log::LogView::parse(logspan, 0, log::k_log_offset);
  if (!view) {
    return 0;
  }
  core::Tree tree;
  tree.add_meta(log::k_log_offset, view->header().log_len);
  auto report = tree.catch_up(*view);
  for (log::u64 ino = 1; ino <= tree.node_count(); ++ino) {
    (void)tree.path_of(ino);
  }
  (void)report.errors();
  return 0;
}

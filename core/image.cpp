#include "core/image.hpp"

#include "core/meta_source.hpp"

namespace famfs::core {

Result<log::Superblock> read_superblock(const Device& dev) {
  if (dev.size() < log::k_superblock_size) {
    return fail(Errc::corrupt, "{}: device is too small to hold a superblock", dev.path());
  }
  dev.invalidate(0, log::k_superblock_size);
  auto sb = log::parse_superblock(dev.bytes().first(log::k_superblock_size));
  if (!sb) {
    return with_context(std::move(sb).error(), dev.path());
  }
  return sb;
}

Result<Image> Image::from_device(Device dev) {
  FAMFS_TRY_ASSIGN(log::Superblock sb, read_superblock(dev));
  if (sb.log_offset != log::k_log_offset) {
    return fail(Errc::corrupt, "{}: superblock: log offset {:#x} (expected {:#x})", dev.path(),
                sb.log_offset, log::k_log_offset);
  }
  if (sb.log_len < log::k_log_header_size + log::k_log_entry_size
      || sb.log_len > dev.size() - sb.log_offset || sb.log_offset > dev.size()) {
    return fail(Errc::corrupt, "{}: superblock: log length {:#x} does not fit the {}-byte device",
                dev.path(), sb.log_len, dev.size());
  }
  Image img;
  img.m_dev = std::move(dev);
  img.m_sb = std::move(sb);
  return img;
}

Result<Image> Image::metadata_copy() const {
  FAMFS_TRY_ASSIGN(Device copy, Device::copy_metadata(m_dev, m_sb.log_offset + m_sb.log_len));
  return from_device(std::move(copy));
}

Result<Image> Image::open(const std::string& path, OpenMode mode) {
  FAMFS_TRY_ASSIGN(Device dev, open_metadata(path, mode));
  return from_device(std::move(dev));
}

std::span<std::byte> Image::log_bytes() const {
  return m_dev.bytes().subspan(m_sb.log_offset, m_sb.log_len);
}

Result<log::LogView> Image::log() const {
  m_dev.invalidate(m_sb.log_offset, log::k_log_header_size);
  auto v = log::LogView::parse(log_bytes(), m_sb.log_len, m_sb.log_offset);
  if (!v) {
    return with_context(std::move(v).error(), m_dev.path());
  }
  return v;
}

Result<Role> Image::role() const {
  FAMFS_TRY_ASSIGN(log::Uuid host, get_system_uuid());
  return role_for(m_sb, host);
}

} // namespace famfs::core

// A famfs file system on an opened device: its superblock and its log, as they are in memory.
#pragma once

#include "core/device.hpp"
#include "core/system_uuid.hpp"
#include "log/log_view.hpp"
#include "log/records.hpp"

#include <span>
#include <string>

namespace famfs::core {

class Image {
public:
  // Opens `path` (the device itself, or for a famfs-mode dax device its mount's .meta files:
  // core/meta_source.hpp), then validates the superblock (magic, version, CRC) and that the log it
  // declares fits inside the device. The log header itself is checked by log().
  static Result<Image> open(const std::string& path, OpenMode mode);
  // Wraps an already opened device (tests, mkfs).
  static Result<Image> from_device(Device dev);
  // This image's superblock and log copied into memory (Device::copy_metadata), as an image of
  // kind meta_files that no longer needs this one's device: what famfs mount reads from a
  // famfs-mode device while it is in devdax mode. Errors: a media error in what it copies.
  Result<Image> metadata_copy() const;

  Device& device() { return m_dev; }
  const Device& device() const { return m_dev; }
  const log::Superblock& superblock() const { return m_sb; }
  // The log region [log_offset, log_offset + log_len).
  std::span<std::byte> log_bytes() const;
  // Parses the log header as it is now (it changes as entries are appended).
  Result<log::LogView> log() const;
  // This host's role for this file system (reads or creates the system UUID file).
  Result<Role> role() const;

private:
  Device m_dev;
  log::Superblock m_sb;
};

// Reads the superblock of an opened device, naming the device in errors.
Result<log::Superblock> read_superblock(const Device& dev);

} // namespace famfs::core

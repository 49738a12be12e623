// A validated, read-only view of a log region (header + entries), over any span of bytes.
#pragma once

#include "log/records.hpp"

#include <span>
#include <string>

namespace famfs::log {

class LogView {
public:
  // Validates the header (magic, CRC, length against `expected_log_len`, indexes) and that the
  // span holds every slot the header declares. `log_offset` is where the log sits on the device;
  // it only names places in messages.
  static Result<LogView>
  parse(std::span<const std::byte> log, u64 expected_log_len, u64 log_offset = k_log_offset);

  const LogHeader& header() const { return m_header; }
  // Number of entries in use (next_index).
  u64 size() const { return m_header.next_index; }
  // Decodes entry i (i < size()), checking seqnum, CRC, type and map structure.
  Result<LogEntry> entry(u64 i) const;
  // The raw 544 bytes of slot i (i <= last_index).
  std::span<const std::byte> slot(u64 i) const;
  // "log entry 17 at device offset 0x20c2f0"
  std::string where(u64 i) const;

private:
  std::span<const std::byte> m_log;
  LogHeader m_header;
  u64 m_log_offset = 0;
};

} // namespace famfs::log

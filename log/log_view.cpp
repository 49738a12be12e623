#include "log/log_view.hpp"

#include <fmt/format.h>

namespace famfs::log {

Result<LogView>
LogView::parse(std::span<const std::byte> log, u64 expected_log_len, u64 log_offset) {
  FAMFS_TRY_ASSIGN(LogHeader h, parse_log_header(log, expected_log_len));
  if (h.log_len > log.size()) {
    return fail(Errc::corrupt, "log header: log length {} exceeds the {} bytes available",
                h.log_len, log.size());
  }
  LogView v;
  v.m_log = log.first(h.log_len);
  v.m_header = h;
  v.m_log_offset = log_offset;
  return v;
}

std::span<const std::byte> LogView::slot(u64 i) const {
  FAMFS_ASSERT(i <= m_header.last_index);
  return m_log.subspan(entry_offset(i), k_log_entry_size);
}

std::string LogView::where(u64 i) const {
  return fmt::format("log entry {} at device offset {:#x}", i, m_log_offset + entry_offset(i));
}

Result<LogEntry> LogView::entry(u64 i) const {
  FAMFS_ASSERT(i < size());
  // The place is formatted only for a message: decoding every entry of a big log at mount
  // time should not build a string per entry.
  auto e = decode_entry(slot(i), i, {});
  if (!e) {
    return decode_entry(slot(i), i, where(i));
  }
  return e;
}

} // namespace famfs::log

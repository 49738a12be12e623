#include "core/log_writer.hpp"

#include "core/trace.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

namespace famfs::core {

using log::u64;

Error log_full_error(const log::LogHeader& h, u64 needed) {
  std::string msg = fmt::format("log full: {} of {} entries used", h.next_index, h.last_index + 1);
  if (needed > 1) {
    msg += fmt::format("; {} needed", needed);
  }
  return with_hint(Error{Errc::no_space, 0, std::move(msg), {}},
                   "make a file system with a larger --loglen");
}

Result<UniqueFd> lock_log(const std::string& device) {
  UniqueFd lock(::open(device.c_str(), O_RDONLY | O_CLOEXEC));
  if (!lock) {
    return sys_error(errno, device);
  }
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      return sys_error(errno, device + ": flock");
    }
  }
  return lock;
}

Result<LogWriter> LogWriter::open(const Image& img) {
  FAMFS_TRY_ASSIGN(Role role, img.role());
  if (role != Role::master) {
    FAMFS_TRY_ASSIGN(log::Uuid host, get_system_uuid());
    return Unexpected{with_hint(
        make_error(Errc::permission,
                   "{}: this host is a client of the file system (host {}, master {}); only the "
                   "master can change it",
                   img.device().path(), host.str(), img.superblock().system_uuid.str()),
        fmt::format("run the command on the master host, or check {}", system_uuid_file()))};
  }
  if (!img.device().writable()) {
    return fail(Errc::internal, "{}: device opened read-only", img.device().path());
  }
  FAMFS_TRY_ASSIGN(UniqueFd lock, lock_log(img.device().lock_path()));
  LogWriter w;
  w.m_device = img.device().path();
  w.m_lock = std::move(lock);
  FAMFS_TRY_ASSIGN(log::LogView v, img.log());
  w.m_header = v.header();
  return w;
}

LogWriter::~LogWriter() = default; // closing m_lock releases the flock

u64 LogWriter::free_slots() const {
  return m_header.last_index + 1 - m_header.next_index;
}

void LogWriter::check_image(const Image& img) const {
  FAMFS_ASSERT(img.device().path() == m_device);
}

Result<log::LogView> LogWriter::view(const Image& img) const {
  check_image(img);
  return img.log();
}

Result<void> LogWriter::reserve(u64 n) const {
  if (n > free_slots()) {
    return Unexpected{log_full_error(m_header, n)};
  }
  return {};
}

Result<u64> LogWriter::append(const Image& img, log::LogEntry e) {
  return append_batch(img, std::span<log::LogEntry>(&e, 1));
}

Result<u64> LogWriter::append_batch(const Image& img, std::span<log::LogEntry> entries) {
  check_image(img);
  const u64 n = entries.size();
  FAMFS_TRY(reserve(n));
  for (const auto& e : entries) {
    FAMFS_TRY(log::validate_for_encoding(e));
  }
  const Device& dev = img.device();
  const u64 log_off = img.superblock().log_offset;
  const u64 first = m_header.next_index;
  // Upstream requires seqnum == index; they only differ in a damaged log, which fsck repairs.
  if (m_header.next_seqnum != first) {
    return fail(Errc::corrupt, "{}: log next_seqnum {} differs from next_index {}; run famfs fsck",
                dev.path(), m_header.next_seqnum, first);
  }
  if (n == 0) {
    return first;
  }
  FAMFS_TRY(dev.reserve(log_off + log::entry_offset(first), n * log::k_log_entry_size));
  for (u64 k = 0; k < n; ++k) {
    log::LogEntry& e = entries[k];
    e.seqnum = first + k;
    const u64 slot = log_off + log::entry_offset(first + k);
    log::encode_entry(e, dev.bytes().subspan(slot, log::k_log_entry_size));
  }
  // Entries first, then the counters that make them visible: a reader (or a crash) never sees
  // next_index cover an entry that is not fully written and persisted.
  FAMFS_TRY(dev.persist(log_off + log::entry_offset(first), n * log::k_log_entry_size));
  m_header.next_seqnum += n;
  m_header.next_index += n;
  log::encode_log_counters(m_header.next_seqnum, m_header.next_index,
                           dev.bytes().subspan(log_off, log::k_log_header_size));
  FAMFS_TRY(dev.persist(log_off, log::k_log_header_size));
  FAMFS_TRACE(2, "appended log entries {} to {}", first, first + n - 1);
  return first;
}

} // namespace famfs::core

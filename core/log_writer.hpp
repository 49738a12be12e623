// Appending to the log: the only writer of log entries.
#pragma once

#include "core/image.hpp"
#include "core/unique_fd.hpp"
#include "log/records.hpp"

#include <span>
#include <string>
#include <vector>

namespace famfs::core {

// Takes the log lock of `device` (flock(LOCK_EX) on an open file description of its own, so the
// lock is per caller, not per process), waiting while another holds it. Released when the
// descriptor closes. mkfs holds it too, so a new file system never lands under an append.
Result<UniqueFd> lock_log(const std::string& device);

// A locked append session. Holds flock(LOCK_EX) on the device (or backing file) for its
// lifetime, so every famfs process on this host appends one at a time. Only the master may open
// one. Re-reads the log header after locking, so it always appends after the newest entry.
// It keeps no pointer to the Image (which moves): each call that reads or writes the log takes
// the image it was opened on (checked by device path).
class LogWriter {
public:
  // Locks and validates: role master (else Errc::permission naming both UUIDs), log header valid.
  static Result<LogWriter> open(const Image& img);
  LogWriter(LogWriter&&) noexcept = default;
  LogWriter& operator=(LogWriter&&) noexcept = default;
  ~LogWriter();

  // Free slots left.
  log::u64 free_slots() const;
  // The header as of the last append (or the lock).
  const log::LogHeader& header() const { return m_header; }
  // The log as of now (for rebuilding allocation state under the lock).
  Result<log::LogView> view(const Image& img) const;

  // Appends one entry (its seqnum is set here) and returns its index. Order, so that a crash at
  // any point leaves a valid log: write the zeroed entry with its CRC into the free slot and
  // persist it; only then advance next_seqnum/next_index and persist the header. A reader never
  // sees next_index cover an entry that is not fully written.
  Result<log::u64> append(const Image& img, log::LogEntry e);
  // Appends `entries` in order as one batch and returns the index of the first. Same order as
  // append(), per batch: every entry is written and the whole range persisted, then the counters
  // advance once. Nothing is written unless all of them fit and encode (a crash before the
  // counters are persisted loses the whole batch, never part of an entry).
  Result<log::u64> append_batch(const Image& img, std::span<log::LogEntry> entries);
  // Checks that `n` more entries fit, else Errc::no_space with the "log full" message.
  Result<void> reserve(log::u64 n) const;

private:
  LogWriter() = default;
  // The image passed to a call is the one this writer locked.
  void check_image(const Image& img) const;

  std::string m_device; // path of the locked device
  UniqueFd m_lock;
  log::LogHeader m_header;
};

// The "log full" error: "log full: N of M entries used" (plus "; K needed" when `needed` > 1),
// with the hint "make a file system with a larger --loglen".
Error log_full_error(const log::LogHeader& h, log::u64 needed = 1);

} // namespace famfs::core

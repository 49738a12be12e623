// Reading and writing a famfs file's bytes straight through the device mapping, piece by piece
// along its map (never through FUSE). Writers persist what they write (Device::persist);
// readers invalidate first, since another host may have written the memory.
#pragma once

#include "core/device.hpp"
#include "log/records.hpp"

#include <functional>
#include <optional>

namespace famfs::core {

using log::u64;

// Checks that the first `size` bytes of `map` lie inside the device (Errc::corrupt otherwise).
Result<void> check_map_bounds(const Device& dev, const log::Fmap& map, u64 size);

// For a progress display: called after each step of at most 64 MiB with the bytes it did.
using BytesDone = std::function<void(u64 bytes)>;

// Fills the file with the creat --randomize pattern for `seed` (spec appendix A) and persists it.
Result<void> write_pattern(
    const Device& dev, const log::Fmap& map, u64 size, u64 seed, const BytesDone& done = {});

// Checks the file against the pattern for `seed`: the offset of the first mismatching 4-byte
// word, or nothing when it matches.
Result<std::optional<u64>> check_pattern(
    const Device& dev, const log::Fmap& map, u64 size, u64 seed, const BytesDone& done = {});

// The XXH3 digest (core/digest.hpp) of the file's first `size` bytes.
Result<u64> digest_file(const Device& dev, const log::Fmap& map, u64 size);

struct CopyOptions {
  unsigned threads = 1; // workers copying 64 MiB items in parallel
  // Called now and then on the calling thread with the bytes copied so far.
  std::function<void(u64 done)> progress;
};

// Copies `size` bytes from `src_fd` (read with pread from offset 0) into the file and persists
// them. Errc::io when the source cannot be read or ends early.
Result<void>
copy_into(const Device& dev, const log::Fmap& map, u64 size, int src_fd, const CopyOptions& opts);

} // namespace famfs::core

// Space allocation (spec §5): a pure, deterministic function of the geometry, the extents
// already in use and a seed (which only orders the interleave buckets). It never touches a
// device; core/fs_ops feeds it the extents of every FILE entry in the log.
//
// Deviations from upstream, all stricter: allocations never run past the last whole allocation
// unit of the device; nstrips 0 and nbuckets without nstrips are refused; a contiguous request
// that finds no room after the session cursor retries once from the first data unit (upstream
// fails there; where upstream succeeds we place exactly as it does).
#pragma once

#include "log/records.hpp"
#include "log/result.hpp"

#include <cstdint>
#include <vector>

namespace famfs::core {

using log::u32;
using log::u64;

// Upstream's minimum bucket size for interleaved allocation.
inline constexpr u64 k_min_bucket_size = 1ULL << 30;
// Default chunk size once any interleave parameter is given.
inline constexpr u64 k_default_chunk_size = 2ULL << 20;

// What the allocator needs to know about a file system.
struct Geometry {
  u64 dev_size = 0;                        // bytes the data may use up to (device end)
  u64 log_offset = log::k_log_offset;      // start of the log
  u64 log_len = log::k_default_log_len;    // bytes of log
  u64 alloc_unit = log::k_alloc_unit;      // bytes per allocation unit
  u64 min_bucket_size = k_min_bucket_size; // interleave: smallest bucket allowed
};

// The geometry of a file system whose superblock is `sb`, on a device of `mapped_size` bytes
// (the smaller of the two sizes bounds the data).
Geometry geometry_of(const log::Superblock& sb, u64 mapped_size);

// Interleave ("strided") parameters: all zero means a contiguous allocation.
struct Interleave {
  u64 nbuckets = 0;
  u64 nstrips = 0;
  u64 chunk_size = 0; // 0 = the default (2 MiB) when the others are set
  bool enabled() const { return nbuckets != 0 || nstrips != 0 || chunk_size != 0; }
  friend bool operator==(const Interleave&, const Interleave&) = default;
};

// Checks interleave parameters against the geometry and fills in the default chunk size.
// Errc::invalid_argument naming the bad parameter: nstrips missing, 0 or above 16; nbuckets
// missing, 0 or above 64; nstrips > nbuckets; chunk not a power of two or not a multiple of the
// allocation unit; buckets smaller than g.min_bucket_size.
Result<Interleave> validate_interleave(const Interleave& p, const Geometry& g);

// The allocation units [first, end) that an extent claims: every unit it touches, its offset
// rounded down and its end rounded up (an end past 2^64 counts as 2^64 - 1), so an unaligned
// extent claims the units it covers in part. The one rule for "units in use": Allocator::mark
// and fsck's cross-link sweep both count with it.
struct UnitRange {
  u64 first = 0;
  u64 end = 0;
};
UnitRange units_of(const log::Extent& x, u64 alloc_unit);

// What marking existing extents found.
struct MarkResult {
  u64 collisions = 0;   // units that were already in use (cross-links)
  u64 out_of_range = 0; // units past the end of the device
};

// The allocation-unit bitmap of one session and the allocation policy on top of it.
class Allocator {
public:
  // A bitmap with only the reserved region (superblock and log) in use. `seed` orders the
  // interleave buckets (upstream uses rand(); a fixed seed makes placement reproducible).
  Allocator(const Geometry& g, u64 seed);

  // Marks the extents of an existing file in use (log replay).
  MarkResult mark(const log::Fmap& map);
  // Returns the units of `map` to the free pool (undoing an allocation that was not logged).
  void release(const log::Fmap& map);

  // Allocates room for `size` bytes (> 0): contiguous first fit from the cursor (§5.2), or
  // interleaved across buckets (§5.3) when `il` is enabled (`il` must come from
  // validate_interleave). Errc::no_space with a "device full" message when it does not fit;
  // the bitmap is then unchanged.
  Result<log::Fmap> allocate(u64 size, const Interleave& il);

  const Geometry& geometry() const { return m_geo; }
  // Whole allocation units on the device (the bitmap's length).
  u64 units() const { return m_units; }
  // Units of the reserved region (superblock + log), always in use.
  u64 reserved_units() const { return m_reserved; }
  // Units in use, reserved region included.
  u64 used_units() const { return m_used; }
  u64 free_units() const { return m_units - m_used; }
  bool in_use(u64 unit) const;
  // Where the next contiguous search starts.
  u64 cursor() const { return m_cursor; }

private:
  Result<log::Fmap> allocate_contiguous(u64 size);
  Result<log::Fmap> allocate_interleaved(u64 size, const Interleave& il);
  // First `n` consecutive free units in [from, limit), if any.
  bool find_run(u64 from, u64 limit, u64 n, u64& start) const;
  void set_range(u64 start, u64 n);
  void clear_range(u64 start, u64 n);
  // Rounds up without wrapping (a size near 2^64 needs 2^64 / unit units, not 0).
  u64 units_for(u64 bytes) const {
    return bytes / m_geo.alloc_unit + (bytes % m_geo.alloc_unit != 0 ? 1 : 0);
  }
  u64 next_random();
  Error full_error(u64 size, u64 need) const;

  Geometry m_geo;
  u64 m_units = 0;
  u64 m_reserved = 0;
  u64 m_used = 0;
  u64 m_cursor = 0;
  u64 m_rng = 0;
  std::vector<u64> m_bits; // bit i = unit i in use
};

// Upstream's fsck -B: the allocation bitmap cut into `n` equal ranges of whole allocation units
// (the bytes after the last whole range are the overhang), with use and free fragments per
// range. Errc::invalid_argument when `n` is 0 or more than the units.
struct BucketStats {
  u64 size = 0;   // bytes
  u64 in_use = 0; // bytes
  u64 free = 0;   // bytes
  u64 free_fragments = 0;
  u64 largest_free = 0;  // bytes; 0 without a free fragment
  u64 smallest_free = 0; // bytes
};
struct BucketReport {
  u64 overhang = 0; // bytes
  std::vector<BucketStats> buckets;
};
Result<BucketReport> bucket_stats(const Allocator& a, u64 n);

} // namespace famfs::core

#include "core/allocator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace famfs::core {

Geometry geometry_of(const log::Superblock& sb, u64 mapped_size) {
  Geometry g;
  g.dev_size = sb.dev_size == 0 ? mapped_size : std::min(sb.dev_size, mapped_size);
  g.log_offset = sb.log_offset;
  g.log_len = sb.log_len;
  g.alloc_unit = sb.alloc_unit;
  return g;
}

Result<Interleave> validate_interleave(const Interleave& p, const Geometry& g) {
  if (!p.enabled()) {
    return p;
  }
  Interleave v = p;
  if (v.chunk_size == 0) {
    v.chunk_size = std::max(k_default_chunk_size, g.alloc_unit);
  }
  if (v.nstrips == 0) {
    return fail(Errc::invalid_argument, "interleaved allocation needs --nstrips (1 to {})",
                log::k_max_strips);
  }
  if (v.nstrips > log::k_max_strips) {
    return fail(Errc::invalid_argument, "--nstrips {}: at most {} strips", v.nstrips,
                log::k_max_strips);
  }
  if (v.nbuckets == 0) {
    return fail(Errc::invalid_argument,
                "interleaved allocation needs --nbuckets (1 to {}, at least --nstrips)",
                log::k_max_nbuckets);
  }
  if (v.nbuckets > log::k_max_nbuckets) {
    return fail(Errc::invalid_argument, "--nbuckets {}: at most {} buckets", v.nbuckets,
                log::k_max_nbuckets);
  }
  if (v.nstrips > v.nbuckets) {
    return fail(Errc::invalid_argument, "--nstrips {} exceeds --nbuckets {}", v.nstrips,
                v.nbuckets);
  }
  if ((v.chunk_size & (v.chunk_size - 1)) != 0) {
    return fail(Errc::invalid_argument, "--chunksize {}: not a power of two", v.chunk_size);
  }
  if (v.chunk_size % g.alloc_unit != 0) {
    return fail(Errc::invalid_argument,
                "--chunksize {}: not a multiple of the allocation unit ({})", v.chunk_size,
                g.alloc_unit);
  }
  const u64 bucket = g.dev_size / g.alloc_unit / v.nbuckets * g.alloc_unit;
  if (bucket < g.min_bucket_size) {
    return fail(Errc::invalid_argument,
                "--nbuckets {}: buckets of {} bytes on a {}-byte device; each bucket must be at "
                "least {} bytes",
                v.nbuckets, bucket, g.dev_size, g.min_bucket_size);
  }
  return v;
}

Allocator::Allocator(const Geometry& g, u64 seed) : m_geo(g), m_rng(seed) {
  FAMFS_ASSERT(g.alloc_unit != 0);
  m_units = g.dev_size / g.alloc_unit;
  m_bits.assign((m_units + 63) / 64, 0);
  m_reserved = std::min(m_units, units_for(g.log_offset + g.log_len));
  set_range(0, m_reserved);
}

bool Allocator::in_use(u64 unit) const {
  return unit < m_units && (m_bits[unit / 64] >> (unit % 64) & 1U) != 0;
}

void Allocator::set_range(u64 start, u64 n) {
  for (u64 i = start; i < start + n; ++i) {
    FAMFS_ASSERT(i < m_units && !in_use(i));
    m_bits[i / 64] |= 1ULL << (i % 64);
  }
  m_used += n;
}

void Allocator::clear_range(u64 start, u64 n) {
  for (u64 i = start; i < start + n; ++i) {
    FAMFS_ASSERT(in_use(i));
    m_bits[i / 64] &= ~(1ULL << (i % 64));
  }
  m_used -= n;
}

UnitRange units_of(const log::Extent& x, u64 alloc_unit) {
  UnitRange u;
  u.first = x.offset / alloc_unit;
  u.end = u.first;
  if (x.len != 0) {
    const bool overflow = x.len - 1 > ~0ULL - x.offset;
    const u64 last_byte = overflow ? ~0ULL : x.offset + (x.len - 1);
    u.end = last_byte / alloc_unit + 1;
  }
  return u;
}

MarkResult Allocator::mark(const log::Fmap& map) {
  MarkResult r;
  for (const auto& e : map.extents) {
    const UnitRange u = units_of(e, m_geo.alloc_unit);
    // Units past the device are counted, not walked (a hostile extent may claim 2^64 bytes).
    const u64 end = std::min(u.end, m_units);
    r.out_of_range += u.end - std::max(u.first, end);
    for (u64 i = u.first; i < end; ++i) {
      if (in_use(i)) {
        r.collisions++;
      } else {
        m_bits[i / 64] |= 1ULL << (i % 64);
        m_used++;
      }
    }
  }
  return r;
}

void Allocator::release(const log::Fmap& map) {
  for (const auto& e : map.extents) {
    clear_range(e.offset / m_geo.alloc_unit, units_for(e.len));
  }
}

bool Allocator::find_run(u64 from, u64 limit, u64 n, u64& start) const {
  limit = std::min(limit, m_units);
  u64 i = from;
  while (n > 0 && i + n <= limit && i + n > i) {
    // Look at the candidate run from its end: the last unit in use tells how far to skip.
    u64 j = i + n;
    while (j > i && !in_use(j - 1)) {
      --j;
    }
    if (j == i) {
      start = i;
      return true;
    }
    i = j;
  }
  return false;
}

Error Allocator::full_error(u64 size, u64 need) const {
  return with_hint(
      make_error(Errc::no_space,
                 "device full: {} of {} allocation units ({} bytes each) in use; {} bytes need {}",
                 m_used, m_units, m_geo.alloc_unit, size, need),
      "famfs never frees space; make a file system on a larger device");
}

Result<log::Fmap> Allocator::allocate(u64 size, const Interleave& il) {
  FAMFS_ASSERT(size > 0);
  if (il.enabled()) {
    return allocate_interleaved(size, il);
  }
  return allocate_contiguous(size);
}

Result<log::Fmap> Allocator::allocate_contiguous(u64 size) {
  const u64 n = units_for(size);
  u64 start = 0;
  const u64 from = std::max(m_cursor, m_reserved);
  if (!find_run(from, m_units, n, start)
      && (from == m_reserved || !find_run(m_reserved, m_units, n, start))) {
    return Unexpected{full_error(size, n)};
  }
  FAMFS_ASSERT(start > 0 && start + n <= m_units);
  set_range(start, n);
  m_cursor = start + n;
  log::Fmap m;
  m.type = log::ExtType::simple;
  m.extents.push_back(log::Extent{0, start * m_geo.alloc_unit, n * m_geo.alloc_unit});
  return m;
}

u64 Allocator::next_random() {
  // splitmix64: small, portable, and the same sequence on every platform.
  u64 z = (m_rng += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Result<log::Fmap> Allocator::allocate_interleaved(u64 size, const Interleave& il) {
  FAMFS_ASSERT(il.nstrips > 0 && il.nbuckets >= il.nstrips && il.chunk_size > 0);
  if (size < il.chunk_size) {
    // Upstream: a file smaller than one chunk is placed contiguously, first fit from the start.
    m_cursor = 0;
    return allocate_contiguous(size);
  }
  const u64 alloc = units_for(size);
  const u64 chunk = il.chunk_size / m_geo.alloc_unit;
  const u64 bucket = m_units / il.nbuckets;
  const u64 stripe = il.nstrips * chunk;
  const u64 nstripes = (alloc + stripe - 1) / stripe;
  const u64 strip = nstripes * chunk;

  std::vector<u64> order(il.nbuckets);
  std::iota(order.begin(), order.end(), u64{0});
  for (u64 i = order.size() - 1; i > 0; --i) { // Fisher-Yates
    std::swap(order[i], order[next_random() % (i + 1)]);
  }
  log::Fmap m;
  m.type = log::ExtType::interleaved;
  m.chunk_size = il.chunk_size;
  if (strip <= bucket) {
    for (u64 b : order) {
      u64 start = 0;
      if (find_run(b * bucket, (b + 1) * bucket, strip, start)) {
        FAMFS_ASSERT(start > 0);
        set_range(start, strip);
        m.extents.push_back(log::Extent{0, start * m_geo.alloc_unit, strip * m_geo.alloc_unit});
        if (m.extents.size() == il.nstrips) {
          return m;
        }
      }
    }
  }
  const u64 got = m.extents.size();
  release(m);
  return Unexpected{with_hint(
      make_error(Errc::no_space,
                 "device full: found {} of {} free strips of {} bytes ({} buckets of {} "
                 "allocation units; {} of {} units in use)",
                 got, il.nstrips, strip * m_geo.alloc_unit, il.nbuckets, bucket, m_used, m_units),
      "famfs never frees space; use fewer strips, or make a file system on a larger device")};
}

namespace {

BucketStats range_stats(const Allocator& a, u64 from, u64 to) {
  const u64 au = a.geometry().alloc_unit;
  BucketStats b;
  b.size = (to - from) * au;
  u64 run = 0;
  auto end_run = [&] {
    if (run == 0) {
      return;
    }
    b.free_fragments++;
    b.largest_free = std::max(b.largest_free, run * au);
    b.smallest_free = b.smallest_free == 0 ? run * au : std::min(b.smallest_free, run * au);
    run = 0;
  };
  for (u64 u = from; u < to; ++u) {
    if (a.in_use(u)) {
      b.in_use += au;
      end_run();
    } else {
      b.free += au;
      run++;
    }
  }
  end_run();
  return b;
}

} // namespace

Result<BucketReport> bucket_stats(const Allocator& a, u64 n) {
  if (n == 0 || n > a.units()) {
    return fail(Errc::invalid_argument, "{} buckets: give 1 to {} (the allocation units)", n,
                a.units());
  }
  const u64 per = a.units() / n;
  BucketReport r;
  r.overhang = a.geometry().dev_size - n * per * a.geometry().alloc_unit;
  for (u64 i = 0; i < n; ++i) {
    r.buckets.push_back(range_stats(a, i * per, (i + 1) * per));
  }
  return r;
}

} // namespace famfs::core

// File offset -> device offset through a map (simple or interleaved), and map sanity checks.
#pragma once

#include "log/records.hpp"

namespace famfs::log {

// A contiguous piece of device memory that backs file bytes [file_off, file_off + len).
struct Piece {
  u64 dev_off = 0;
  u64 len = 0;
};

// Resolves file offset `off` (< map capacity) to the device offset and the number of bytes that
// stay contiguous on the device from there. Returns len 0 when `off` is past the map.
Piece resolve(const Fmap& map, u64 off);

// Calls fn(file_off, Piece) for each contiguous piece of [off, off + len), in file order.
// Stops early when fn returns false; returns false when the range ran past the map.
template <typename Fn> bool for_each_piece(const Fmap& map, u64 off, u64 len, Fn&& fn) {
  while (len > 0) {
    Piece p = resolve(map, off);
    if (p.len == 0) {
      return false;
    }
    if (p.len > len) {
      p.len = len;
    }
    if (!fn(off, p)) {
      return true;
    }
    off += p.len;
    len -= p.len;
  }
  return true;
}

// Bytes of file data the map can address (for interleaved maps, nstrips * strip length rounded
// down to whole stripes of the smallest strip).
u64 addressable(const Fmap& map);

// A one-line text form of a map, e.g. "simple 0xa00000+0x200000" or
// "interleaved chunk 0x200000 strips 0xc000000+0x800000,0x8000000+0x800000".
std::string fmap_text(const Fmap& map);

} // namespace famfs::log

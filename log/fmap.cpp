#include "log/fmap.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace famfs::log {

Piece resolve(const Fmap& map, u64 off) {
  if (map.type == ExtType::simple) {
    u64 base = 0;
    for (const auto& e : map.extents) {
      if (off < base + e.len) {
        u64 within = off - base;
        return Piece{e.offset + within, e.len - within};
      }
      base += e.len;
    }
    return {};
  }
  const u64 n = map.extents.size();
  const u64 chunk = map.chunk_size;
  if (n == 0 || chunk == 0) {
    return {};
  }
  const u64 c = off / chunk;
  const u64 strip = c % n;
  const u64 within = (c / n) * chunk + off % chunk;
  const Extent& e = map.extents[strip];
  if (within >= e.len) {
    return {};
  }
  return Piece{e.offset + within, std::min(chunk - off % chunk, e.len - within)};
}

u64 addressable(const Fmap& map) {
  if (map.type == ExtType::simple) {
    return map.capacity();
  }
  if (map.extents.empty() || map.chunk_size == 0) {
    return 0;
  }
  u64 min_len = map.extents[0].len;
  for (const auto& e : map.extents) {
    min_len = std::min(min_len, e.len);
  }
  return (min_len / map.chunk_size) * map.chunk_size * map.extents.size();
}

std::string fmap_text(const Fmap& map) {
  std::string s;
  if (map.type == ExtType::simple) {
    s = "simple";
    for (const auto& e : map.extents) {
      s += fmt::format(" {:#x}+{:#x}", e.offset, e.len);
    }
    return s;
  }
  s = fmt::format("interleaved chunk {:#x} strips", map.chunk_size);
  for (std::size_t i = 0; i < map.extents.size(); ++i) {
    s +=
        fmt::format("{}{:#x}+{:#x}", i == 0 ? " " : ",", map.extents[i].offset, map.extents[i].len);
  }
  return s;
}

} // namespace famfs::log

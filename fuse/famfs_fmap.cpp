#include "fuse/famfs_fmap.hpp"

#include "log/fmap.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace famfs::fuse {

namespace {

template <typename T> void put(std::vector<std::byte>& out, const T& v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

// One simple extent or strip, checked against the kernel's per-extent rules.
Result<FamfsSimpleExt> wire_ext(const log::Extent& e, std::string_view what, std::size_t i) {
  if (e.devindex != 0) {
    return fail(Errc::invalid_argument, "{} {} is on device index {}; the kernel takes only 0",
                what, i, e.devindex);
  }
  if (e.offset % k_famfs_pmd_size != 0 || e.len % k_famfs_pmd_size != 0) {
    return fail(Errc::invalid_argument,
                "{} {} ({:#x}+{:#x}) is not 2 MiB-aligned in offset and length", what, i, e.offset,
                e.len);
  }
  if (e.len == 0) {
    return fail(Errc::invalid_argument, "{} {} is empty", what, i);
  }
  FamfsSimpleExt w{};
  w.se_devindex = 0;
  w.se_offset = e.offset;
  w.se_len = e.len;
  return w;
}

} // namespace

namespace {

// The interleave rules: a chunk the kernel takes, and stripes that stay inside every strip.
Result<void> check_interleave(const log::Fmap& map, std::uint64_t file_size) {
  if (map.chunk_size == 0 || map.chunk_size % k_famfs_pmd_size != 0
      || map.chunk_size > std::numeric_limits<std::uint32_t>::max()) {
    return fail(Errc::invalid_argument,
                "chunk size {:#x} is not a nonzero multiple of 2 MiB below 4 GiB", map.chunk_size);
  }
  // The kernel does not check that a stripe stays inside its strip; we must.
  const std::uint64_t reach = log::addressable(map);
  if (reach < file_size) {
    return fail(Errc::invalid_argument,
                "the interleave addresses {:#x} bytes (whole stripes of the shortest strip), "
                "less than the file size {:#x}",
                reach, file_size);
  }
  if (reach == 0) {
    return fail(Errc::invalid_argument, "the interleave addresses no bytes");
  }
  return {};
}

// An interleave as the simple extents a simple-only revision takes: chunk c of the file is
// chunk c / n of strip c % n, as many chunks as cover the file (at least one).
Result<log::Fmap> unroll(const log::Fmap& map, std::uint64_t file_size, const FamfsAbi& abi) {
  const std::uint64_t chunk = map.chunk_size;
  const std::uint64_t n = map.extents.size();
  const std::uint64_t chunks = std::max<std::uint64_t>(1, (file_size + chunk - 1) / chunk);
  if (chunks > abi.max_extents) {
    return fail(Errc::invalid_argument,
                "the interleave unrolls into {} extents; the kernel ({}) takes at most {}", chunks,
                abi.name, abi.max_extents);
  }
  log::Fmap out;
  out.type = log::ExtType::simple;
  out.extents.reserve(static_cast<std::size_t>(chunks));
  for (std::uint64_t c = 0; c < chunks; ++c) {
    const log::Extent& strip = map.extents[static_cast<std::size_t>(c % n)];
    out.extents.push_back({strip.devindex, strip.offset + (c / n) * chunk, chunk});
  }
  return out;
}

// The wire extents of `map` (simple extents or strips), checked one by one, and the bytes they
// hold.
Result<std::vector<FamfsSimpleExt>> wire_exts(const log::Fmap& map, const char* what) {
  std::vector<FamfsSimpleExt> exts;
  exts.reserve(map.extents.size());
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < map.extents.size(); ++i) {
    FAMFS_TRY_ASSIGN(FamfsSimpleExt w, wire_ext(map.extents[i], what, i));
    if (w.se_len > std::numeric_limits<std::uint64_t>::max() - sum) {
      return fail(Errc::invalid_argument, "the map's lengths overflow 64 bits");
    }
    sum += w.se_len;
    exts.push_back(w);
  }
  return exts;
}

std::uint64_t total_len(const std::vector<FamfsSimpleExt>& exts) {
  std::uint64_t sum = 0;
  for (const auto& w : exts) {
    sum += w.se_len;
  }
  return sum;
}

} // namespace

Result<std::vector<std::byte>> encode_famfs_fmap(const log::Fmap& in,
                                                 std::uint64_t file_size,
                                                 const FamfsAbi& abi,
                                                 FamfsFileType type) {
  if (in.extents.empty()) {
    return fail(Errc::invalid_argument, "the map has no {}s",
                in.type == log::ExtType::interleaved ? "strip" : "extent");
  }
  if (in.type == log::ExtType::interleaved) {
    FAMFS_TRY(check_interleave(in, file_size));
  }
  log::Fmap unrolled;
  if (in.type == log::ExtType::interleaved && abi.simple_only) {
    FAMFS_TRY(wire_exts(in, "strip")); // the strips themselves follow the extent rules
    FAMFS_TRY_ASSIGN(unrolled, unroll(in, file_size, abi));
  }
  const log::Fmap& map = unrolled.extents.empty() ? in : unrolled;
  const bool inter = map.type == log::ExtType::interleaved;
  const std::size_t n = map.extents.size();
  const char* what = inter ? "strip" : "extent";
  const std::uint32_t cap = inter ? abi.max_strips : abi.max_extents;
  if (n > cap) {
    return fail(Errc::invalid_argument, "the map has {} {}s; the kernel ({}) takes at most {}", n,
                what, abi.name, cap);
  }
  const std::size_t size =
      sizeof(FamfsFmapHeader) + (inter ? sizeof(FamfsIext) : 0) + n * sizeof(FamfsSimpleExt);
  if (size > abi.max_reply) {
    return fail(Errc::invalid_argument, "the fmap message is {} bytes; the kernel takes at most {}",
                size, abi.max_reply);
  }
  FAMFS_TRY_ASSIGN(auto exts, wire_exts(map, what));
  if (total_len(exts) < file_size) {
    return fail(Errc::invalid_argument, "the map holds {:#x} bytes, less than the file size {:#x}",
                total_len(exts), file_size);
  }
  std::vector<std::byte> out;
  out.reserve(std::max<std::size_t>(size, abi.fixed_reply));
  FamfsFmapHeader h{};
  h.file_type = static_cast<std::uint8_t>(type);
  h.fmap_version = k_famfs_fmap_version;
  h.ext_type = inter ? k_famfs_ext_interleave : k_famfs_ext_simple;
  h.nextents = inter ? 1 : static_cast<std::uint32_t>(n);
  h.fmap_size = static_cast<std::uint32_t>(size);
  h.file_size = file_size;
  put(out, h);
  if (inter) {
    FamfsIext ie{};
    ie.ie_nstrips = static_cast<std::uint32_t>(n);
    ie.ie_chunk_size = static_cast<std::uint32_t>(map.chunk_size);
    // Must be nonzero; an empty file still gets a valid extent (the kernel clips to file_size).
    ie.ie_nbytes = file_size != 0 ? file_size : log::addressable(map);
    put(out, ie);
  }
  for (const auto& w : exts) {
    put(out, w);
  }
  if (abi.fixed_reply > out.size()) {
    out.resize(abi.fixed_reply, std::byte{0});
  }
  return out;
}

std::vector<std::byte> fit_famfs_fmap_reply(std::vector<std::byte> msg, std::uint32_t buffer) {
  if (msg.size() > buffer) {
    msg.resize(sizeof(FamfsFmapHeader)); // fmap_size in it says how much to ask for
  }
  return msg;
}

Result<std::vector<std::byte>> encode_famfs_daxdev(std::string_view path, std::uint16_t index) {
  if (path.empty()) {
    return fail(Errc::invalid_argument, "no dax device path to give the kernel");
  }
  if (path.size() + 1 > k_daxdev_name_max) {
    return fail(Errc::invalid_argument, "dax device path is {} bytes; the kernel takes at most {}",
                path.size(), k_daxdev_name_max - 1);
  }
  FamfsDaxdevOut o{};
  o.index = index;
  std::memcpy(o.name, path.data(), path.size());
  std::vector<std::byte> out;
  put(out, o);
  return out;
}

} // namespace famfs::fuse

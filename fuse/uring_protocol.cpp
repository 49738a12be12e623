#include "fuse/uring_protocol.hpp"

#include "core/media_guard.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace famfs::fuse {

namespace {

UringEntInOut read_ent_in_out(std::span<const std::byte> entry) {
  UringEntInOut e{};
  std::memcpy(&e, entry.data() + offsetof(UringReqHeader, ring_ent_in_out), sizeof(e));
  return e;
}

void write_ent_in_out(std::span<std::byte> entry, const UringEntInOut& e) {
  std::memcpy(entry.data() + offsetof(UringReqHeader, ring_ent_in_out), &e, sizeof(e));
}

// Parses one decimal number at the front of `text` and removes it; false when there is none.
bool take_number(std::string_view& text, unsigned& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data()) {
    return false;
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

} // namespace

std::size_t uring_payload_size(std::uint32_t max_write, std::uint32_t max_pages, long page_size) {
  const std::size_t pages = static_cast<std::size_t>(max_pages)
                            * static_cast<std::size_t>(page_size > 0 ? page_size : 4096);
  return std::max({std::size_t{8192}, std::size_t{max_write}, pages});
}

Result<std::span<const std::byte>> uring_request(std::span<std::byte> entry) {
  FAMFS_ASSERT(entry.size() >= k_uring_payload_at);
  const std::size_t payload_cap = entry.size() - k_uring_payload_at;
  fuse_in_header h{};
  std::memcpy(&h, entry.data() + offsetof(UringReqHeader, in_out), sizeof(h));
  const UringEntInOut e = read_ent_in_out(entry);
  if (e.payload_sz > payload_cap || h.len < sizeof(h) + e.payload_sz) {
    return fail(Errc::corrupt, "io_uring request {}: length {} with a {}-byte payload", h.unique,
                h.len, e.payload_sz);
  }
  const std::size_t arg0 = h.len - sizeof(h) - e.payload_sz; // the first argument, in op_in
  if (arg0 > k_uring_op_in_size) {
    return fail(Errc::corrupt, "io_uring request {}: a {}-byte first argument", h.unique, arg0);
  }
  std::byte* start = entry.data() + k_uring_payload_at - arg0 - sizeof(h);
  std::memcpy(start, &h, sizeof(h));
  std::memcpy(start + sizeof(h), entry.data() + offsetof(UringReqHeader, op_in), arg0);
  return std::span<const std::byte>(start, h.len);
}

std::uint64_t uring_commit_id(std::span<const std::byte> entry) {
  return read_ent_in_out(entry).commit_id;
}

Result<void> uring_reply(const Reply& r, std::uint64_t unique, std::span<std::byte> entry) {
  FAMFS_ASSERT(entry.size() >= k_uring_payload_at);
  std::span<std::byte> payload = entry.subspan(k_uring_payload_at);
  std::size_t used = 0;
  if (r.error() == 0) {
    if (r.payload_size() > payload.size()) {
      return fail(Errc::invalid_argument, "a {}-byte reply does not fit a {}-byte io_uring payload",
                  r.payload_size(), payload.size());
    }
    if (!r.body().empty()) { // memcpy from an empty vector's null data() is undefined
      std::memcpy(payload.data(), r.body().data(), r.body().size());
      used = r.body().size();
    }
    for (const auto& piece : r.data()) {
      if (piece.empty()) {
        continue;
      }
      FAMFS_TRY(core::guarded_copy(payload.data() + used, piece.data(), piece.size()));
      used += piece.size();
    }
  }
  fuse_out_header oh{};
  oh.len = static_cast<std::uint32_t>(sizeof(oh) + used);
  oh.error = -r.error();
  oh.unique = unique;
  std::memcpy(entry.data() + offsetof(UringReqHeader, in_out), &oh, sizeof(oh));
  UringEntInOut e{};
  e.commit_id = unique;
  e.payload_sz = static_cast<std::uint32_t>(used);
  write_ent_in_out(entry, e);
  return {};
}

UringCmdReq uring_cmd(std::uint16_t qid, std::uint64_t commit_id) {
  UringCmdReq c{};
  c.qid = qid;
  c.commit_id = commit_id;
  return c;
}

unsigned count_cpu_list(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  unsigned count = 0;
  while (!text.empty()) {
    unsigned first = 0;
    unsigned last = 0;
    if (!take_number(text, first)) {
      return 0;
    }
    last = first;
    if (!text.empty() && text.front() == '-') {
      text.remove_prefix(1);
      if (!take_number(text, last) || last < first) {
        return 0;
      }
    }
    count += last - first + 1;
    if (!text.empty() && text.front() != ',') {
      return 0;
    }
    if (!text.empty()) {
      text.remove_prefix(1);
    }
  }
  return count;
}

} // namespace famfs::fuse

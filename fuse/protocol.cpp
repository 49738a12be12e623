#include "fuse/protocol.hpp"

#include "fuse/ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace famfs::fuse {

Result<InHeader> decode_header(std::span<const std::byte> bytes) {
  if (bytes.size() < k_in_header_size) {
    return fail(Errc::invalid_argument, "request of {} bytes is shorter than its {}-byte header",
                bytes.size(), k_in_header_size);
  }
  fuse_in_header in{};
  std::memcpy(&in, bytes.data(), sizeof(in));
  InHeader h{in.len, in.opcode, in.unique, in.nodeid, in.uid, in.gid, in.pid, in.total_extlen};
  if (h.len != bytes.size()) {
    return fail(Errc::invalid_argument, "{} request: header says {} bytes, received {}",
                opcode_name(h.opcode), h.len, bytes.size());
  }
  return h;
}

Result<Request> decode_request(std::span<const std::byte> bytes) {
  FAMFS_TRY_ASSIGN(InHeader h, decode_header(bytes));
  auto body = bytes.subspan(k_in_header_size);
  // Request extensions (security context, supplementary groups) trail the body; we negotiate
  // none, but cut them off so that no body decoder reads them as its own bytes.
  const std::size_t ext = static_cast<std::size_t>(h.total_extlen) * 8;
  if (ext > body.size()) {
    return fail(Errc::invalid_argument, "{} request: {} extension bytes in a {}-byte body",
                opcode_name(h.opcode), ext, body.size());
  }
  body = body.first(body.size() - ext);
  const Op* op = find_op(h.opcode);
  if (op == nullptr) {
    return Request{h, Unknown{}}; // answered ENOSYS (or served as a famfs extension opcode)
  }
  // The names in the table are string literals, so NUL-terminated.
  FAMFS_TRY_ASSIGN(Body decoded, op->decode(body, op->name.data()));
  return Request{h, std::move(decoded)};
}

// ---- Replies ----

Reply Reply::none() {
  Reply r;
  r.m_none = true;
  return r;
}

Reply Reply::error(int errnum) {
  Reply r;
  r.m_error = errnum > 0 ? errnum : EIO;
  return r;
}

Reply Reply::ok() {
  return Reply{};
}

Reply Reply::bytes(std::vector<std::byte> body) {
  Reply r;
  r.m_body = std::move(body);
  return r;
}

std::size_t Reply::payload_size() const {
  if (m_error != 0) {
    return 0;
  }
  std::size_t n = m_body.size();
  for (const auto& d : m_data) {
    n += d.size();
  }
  return n;
}

std::vector<iovec>
reply_iovecs(const Reply& r, u64 unique, std::array<std::byte, k_out_header_size>& header) {
  fuse_out_header out{};
  out.len = static_cast<u32>(k_out_header_size + r.payload_size());
  out.error = -r.error();
  out.unique = unique;
  std::memcpy(header.data(), &out, sizeof(out));
  std::vector<iovec> iov;
  iov.reserve(2 + r.data().size());
  iov.push_back(iovec{header.data(), header.size()});
  if (r.error() != 0) {
    return iov;
  }
  // iovec wants non-const pointers; writev only reads them.
  if (!r.body().empty()) {
    iov.push_back(iovec{const_cast<std::byte*>(r.body().data()), r.body().size()});
  }
  for (const auto& d : r.data()) {
    if (!d.empty()) {
      iov.push_back(iovec{const_cast<std::byte*>(d.data()), d.size()});
    }
  }
  return iov;
}

std::vector<std::byte> encode_reply(const Reply& r, u64 unique) {
  std::array<std::byte, k_out_header_size> hdr{};
  std::vector<std::byte> out;
  for (const auto& v : reply_iovecs(r, unique, hdr)) {
    const auto* p = static_cast<const std::byte*>(v.iov_base);
    out.insert(out.end(), p, p + v.iov_len);
  }
  return out;
}

std::vector<std::byte> encode_notify_inval_inode(u64 ino, Inval what) {
  fuse_out_header h{};
  h.len = static_cast<u32>(sizeof(h) + sizeof(fuse_notify_inval_inode_out));
  h.error = FUSE_NOTIFY_INVAL_INODE; // a notification code, not an errno
  h.unique = 0;
  fuse_notify_inval_inode_out body{};
  body.ino = ino;
  body.off = what == Inval::attrs ? -1 : 0; // -1: no page cache; 0 with len 0: every page
  body.len = 0;
  std::vector<std::byte> out(h.len);
  std::memcpy(out.data(), &h, sizeof(h));
  std::memcpy(out.data() + sizeof(h), &body, sizeof(body));
  return out;
}

fuse_attr to_fuse_attr(const Attr& a) {
  fuse_attr f{};
  f.ino = a.ino;
  f.size = a.size;
  f.blocks = a.blocks;
  f.atime = a.atime;
  f.mtime = a.mtime;
  f.ctime = a.ctime;
  f.atimensec = a.atimensec;
  f.mtimensec = a.mtimensec;
  f.ctimensec = a.ctimensec;
  f.mode = a.mode;
  f.nlink = a.nlink;
  f.uid = a.uid;
  f.gid = a.gid;
  f.blksize = a.blksize;
  return f;
}

fuse_entry_out make_entry(const Attr& a, u64 generation, Timeout entry, Timeout attr) {
  fuse_entry_out e{};
  e.nodeid = a.ino;
  e.generation = generation;
  e.entry_valid = entry.sec;
  e.entry_valid_nsec = entry.nsec;
  e.attr_valid = attr.sec;
  e.attr_valid_nsec = attr.nsec;
  e.attr = to_fuse_attr(a);
  return e;
}

Reply entry_reply(const Attr& a, u64 generation, Timeout entry, Timeout attr) {
  return Reply::of(make_entry(a, generation, entry, attr));
}

Reply attr_reply(const Attr& a, Timeout attr) {
  fuse_attr_out o{};
  o.attr_valid = attr.sec;
  o.attr_valid_nsec = attr.nsec;
  o.attr = to_fuse_attr(a);
  return Reply::of(o);
}

Reply init_reply(const InitOut& o) {
  fuse_init_out out{};
  out.major = o.major;
  out.minor = o.minor;
  out.max_readahead = o.max_readahead;
  out.flags = static_cast<u32>(o.flags & 0xffffffffU);
  out.flags2 = static_cast<u32>(o.flags >> 32);
  out.max_background = o.max_background;
  out.congestion_threshold = o.congestion_threshold;
  out.max_write = o.max_write;
  out.time_gran = o.time_gran;
  out.max_pages = o.max_pages;
  return Reply::of(out);
}

namespace {

std::size_t align8(std::size_t n) {
  return (n + 7) & ~static_cast<std::size_t>(7);
}

void put_dirent(std::byte* at, std::string_view name, u64 ino, u32 type, u64 off) {
  fuse_dirent d{};
  d.ino = ino;
  d.off = off;
  d.namelen = static_cast<u32>(name.size());
  d.type = type;
  std::memcpy(at, &d, FUSE_NAME_OFFSET);
  std::memcpy(at + FUSE_NAME_OFFSET, name.data(), name.size());
}

} // namespace

bool DirBuffer::add(std::string_view name, u64 ino, u32 type, u64 off) {
  const std::size_t need = align8(FUSE_NAME_OFFSET + name.size());
  if (m_buf.size() + need > m_max) {
    return false;
  }
  const std::size_t at = m_buf.size();
  m_buf.resize(at + need); // zero padding
  put_dirent(m_buf.data() + at, name, ino, type, off);
  return true;
}

bool DirBuffer::add_plus(std::string_view name, const fuse_entry_out& entry, u32 type, u64 off) {
  const std::size_t need = align8(sizeof(fuse_entry_out) + FUSE_NAME_OFFSET + name.size());
  if (m_buf.size() + need > m_max) {
    return false;
  }
  const std::size_t at = m_buf.size();
  m_buf.resize(at + need);
  std::memcpy(m_buf.data() + at, &entry, sizeof(entry));
  put_dirent(m_buf.data() + at + sizeof(entry), name,
             entry.nodeid != 0 ? entry.nodeid : entry.attr.ino, type, off);
  return true;
}

std::vector<std::byte> encode_request(u32 opcode,
                                      u64 unique,
                                      u64 nodeid,
                                      std::span<const std::byte> body,
                                      u32 uid,
                                      u32 gid,
                                      u32 pid) {
  fuse_in_header h{};
  h.len = static_cast<u32>(k_in_header_size + body.size());
  h.opcode = opcode;
  h.unique = unique;
  h.nodeid = nodeid;
  h.uid = uid;
  h.gid = gid;
  h.pid = pid;
  // Header bytes first, then the body, through spans: GCC 12 at -O3 warns on vector::insert
  // (-Warray-bounds) and on memcpy into a fresh vector's data() (-Wnull-dereference).
  const auto header = std::as_bytes(std::span(&h, 1));
  std::vector<std::byte> out(header.begin(), header.end());
  out.resize(header.size() + body.size());
  std::copy(body.begin(), body.end(), out.begin() + static_cast<std::ptrdiff_t>(header.size()));
  return out;
}

Result<DecodedReply> decode_reply(std::span<const std::byte> bytes) {
  if (bytes.size() < k_out_header_size) {
    return fail(Errc::invalid_argument, "reply of {} bytes is shorter than its header",
                bytes.size());
  }
  fuse_out_header h{};
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (h.len != bytes.size()) {
    return fail(Errc::invalid_argument, "reply header says {} bytes, received {}", h.len,
                bytes.size());
  }
  return DecodedReply{h.len, h.error, h.unique, bytes.subspan(k_out_header_size)};
}

} // namespace famfs::fuse

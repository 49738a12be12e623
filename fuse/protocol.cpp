#include "fuse/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace famfs::fuse {

namespace {

// A bounds-checked cursor over request bytes. Nothing is read before its length is checked.
class Reader {
public:
  explicit Reader(std::span<const std::byte> b) : m_b(b) {}
  std::size_t left() const { return m_b.size() - m_pos; }

  template <typename T> Result<T> take(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (left() < sizeof(T)) {
      return fail(Errc::invalid_argument, "{}: {} bytes, need {}", what, left(), sizeof(T));
    }
    T v;
    std::memcpy(&v, m_b.data() + m_pos, sizeof(T));
    m_pos += sizeof(T);
    return v;
  }
  // A NUL-terminated string; the view excludes the NUL. Refuses an empty name.
  Result<std::string_view> name(const char* what) {
    auto rest = m_b.subspan(m_pos);
    auto nul = std::find(rest.begin(), rest.end(), std::byte{0});
    if (nul == rest.end()) {
      return fail(Errc::invalid_argument, "{}: name is not NUL-terminated", what);
    }
    auto n = static_cast<std::size_t>(nul - rest.begin());
    if (n == 0) {
      return fail(Errc::invalid_argument, "{}: empty name", what);
    }
    std::string_view s(reinterpret_cast<const char*>(rest.data()), n);
    m_pos += n + 1;
    return s;
  }
  std::span<const std::byte> rest() const { return m_b.subspan(m_pos); }

private:
  std::span<const std::byte> m_b;
  std::size_t m_pos = 0;
};

struct RefusedShape {
  u32 opcode;
  std::size_t fixed; // the fixed struct before the name(s)
  int names;         // NUL-terminated names that follow
};

// Namespace and size changes we refuse with EPERM; their bodies are still checked.
constexpr RefusedShape k_refused[] = {
    {FUSE_SYMLINK, 0, 2},
    {FUSE_MKNOD, sizeof(fuse_mknod_in), 1},
    {FUSE_MKDIR, sizeof(fuse_mkdir_in), 1},
    {FUSE_UNLINK, 0, 1},
    {FUSE_RMDIR, 0, 1},
    {FUSE_RENAME, sizeof(fuse_rename_in), 2},
    {FUSE_RENAME2, sizeof(fuse_rename2_in), 2},
    {FUSE_LINK, sizeof(fuse_link_in), 1},
    {FUSE_CREATE, sizeof(fuse_create_in), 1},
    {FUSE_TMPFILE, sizeof(fuse_create_in), 1},
    {FUSE_SETXATTR, FUSE_COMPAT_SETXATTR_IN_SIZE, 1},
    {FUSE_REMOVEXATTR, 0, 1},
    {FUSE_FALLOCATE, sizeof(fuse_fallocate_in), 0},
};

Result<Body> decode_refused(const RefusedShape& shape, Reader& r, const char* what) {
  if (r.left() < shape.fixed) {
    return fail(Errc::invalid_argument, "{}: {} bytes, need {}", what, r.left(), shape.fixed);
  }
  Reader names(r.rest().subspan(shape.fixed));
  for (int i = 0; i < shape.names; ++i) {
    FAMFS_TRY(names.name(what));
  }
  return Body{Refused{}};
}

Result<Body> decode_body(const InHeader& h, std::span<const std::byte> body) {
  Reader r(body);
  const std::string op = opcode_name(h.opcode);
  const char* what = op.c_str();
  switch (h.opcode) {
  case FUSE_INIT: {
    // fuse_init_in grew over time; the first 16 bytes have always been there.
    if (body.size() < 16) {
      return fail(Errc::invalid_argument, "INIT: {} bytes, need 16", body.size());
    }
    fuse_init_in in{};
    std::memcpy(&in, body.data(), std::min(body.size(), sizeof(in)));
    InitIn out{in.major, in.minor, in.max_readahead, in.flags};
    if ((in.flags & FUSE_INIT_EXT) != 0 && body.size() >= offsetof(fuse_init_in, flags2) + 4) {
      out.flags |= static_cast<u64>(in.flags2) << 32;
    }
    return Body{out};
  }
  case FUSE_LOOKUP: {
    FAMFS_TRY_ASSIGN(std::string_view n, r.name(what));
    return Body{NameIn{n}};
  }
  case FUSE_FORGET: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_forget_in>(what));
    return Body{ForgetIn{in.nlookup}};
  }
  case FUSE_BATCH_FORGET: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_batch_forget_in>(what));
    if (in.count > r.left() / sizeof(fuse_forget_one)) {
      return fail(Errc::invalid_argument, "BATCH_FORGET: {} items in {} bytes", in.count, r.left());
    }
    BatchForgetIn out;
    out.items.reserve(in.count);
    for (u32 i = 0; i < in.count; ++i) {
      FAMFS_TRY_ASSIGN(auto one, r.take<fuse_forget_one>(what));
      out.items.push_back(ForgetItem{one.nodeid, one.nlookup});
    }
    return Body{std::move(out)};
  }
  case FUSE_GETATTR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_getattr_in>(what));
    return Body{GetattrIn{in.getattr_flags, in.fh}};
  }
  case FUSE_SETATTR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_setattr_in>(what));
    SetattrIn out;
    out.valid = in.valid;
    out.fh = in.fh;
    out.size = in.size;
    out.atime = in.atime;
    out.mtime = in.mtime;
    out.ctime = in.ctime;
    out.atimensec = in.atimensec;
    out.mtimensec = in.mtimensec;
    out.ctimensec = in.ctimensec;
    out.mode = in.mode;
    out.uid = in.uid;
    out.gid = in.gid;
    return Body{out};
  }
  case FUSE_OPEN:
  case FUSE_OPENDIR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_open_in>(what));
    return Body{OpenIn{in.flags, in.open_flags}};
  }
  case FUSE_READ:
  case FUSE_READDIR:
  case FUSE_READDIRPLUS: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_read_in>(what));
    return Body{ReadIn{in.fh, in.offset, in.size, in.read_flags, in.flags}};
  }
  case FUSE_WRITE: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_write_in>(what));
    if (in.size != r.left()) {
      return fail(Errc::invalid_argument, "WRITE: size {} but {} data bytes", in.size, r.left());
    }
    return Body{WriteIn{in.fh, in.offset, in.size, in.write_flags, in.flags, r.rest()}};
  }
  case FUSE_RELEASE:
  case FUSE_RELEASEDIR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_release_in>(what));
    return Body{ReleaseIn{in.fh, in.flags, in.release_flags}};
  }
  case FUSE_FLUSH: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_flush_in>(what));
    return Body{FlushIn{in.fh}};
  }
  case FUSE_FSYNC:
  case FUSE_FSYNCDIR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_fsync_in>(what));
    return Body{FsyncIn{in.fh, in.fsync_flags}};
  }
  case FUSE_GETXATTR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_getxattr_in>(what));
    FAMFS_TRY_ASSIGN(std::string_view n, r.name(what));
    return Body{GetxattrIn{in.size, n}};
  }
  case FUSE_LISTXATTR: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_getxattr_in>(what));
    return Body{GetxattrIn{in.size, {}}};
  }
  case FUSE_ACCESS: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_access_in>(what));
    return Body{AccessIn{in.mask}};
  }
  case FUSE_INTERRUPT: {
    FAMFS_TRY_ASSIGN(auto in, r.take<fuse_interrupt_in>(what));
    return Body{InterruptIn{in.unique}};
  }
  case FUSE_STATFS:
  case FUSE_DESTROY:
  case FUSE_READLINK:
    return Body{NoBody{}};
  default:
    break;
  }
  for (const auto& shape : k_refused) {
    if (shape.opcode == h.opcode) {
      return decode_refused(shape, r, what);
    }
  }
  return Body{Unknown{}};
}

} // namespace

std::string opcode_name(u32 opcode) {
  switch (opcode) {
  case FUSE_LOOKUP:
    return "LOOKUP";
  case FUSE_FORGET:
    return "FORGET";
  case FUSE_GETATTR:
    return "GETATTR";
  case FUSE_SETATTR:
    return "SETATTR";
  case FUSE_READLINK:
    return "READLINK";
  case FUSE_SYMLINK:
    return "SYMLINK";
  case FUSE_MKNOD:
    return "MKNOD";
  case FUSE_MKDIR:
    return "MKDIR";
  case FUSE_UNLINK:
    return "UNLINK";
  case FUSE_RMDIR:
    return "RMDIR";
  case FUSE_RENAME:
    return "RENAME";
  case FUSE_LINK:
    return "LINK";
  case FUSE_OPEN:
    return "OPEN";
  case FUSE_READ:
    return "READ";
  case FUSE_WRITE:
    return "WRITE";
  case FUSE_STATFS:
    return "STATFS";
  case FUSE_RELEASE:
    return "RELEASE";
  case FUSE_FSYNC:
    return "FSYNC";
  case FUSE_SETXATTR:
    return "SETXATTR";
  case FUSE_GETXATTR:
    return "GETXATTR";
  case FUSE_LISTXATTR:
    return "LISTXATTR";
  case FUSE_REMOVEXATTR:
    return "REMOVEXATTR";
  case FUSE_FLUSH:
    return "FLUSH";
  case FUSE_INIT:
    return "INIT";
  case FUSE_OPENDIR:
    return "OPENDIR";
  case FUSE_READDIR:
    return "READDIR";
  case FUSE_RELEASEDIR:
    return "RELEASEDIR";
  case FUSE_FSYNCDIR:
    return "FSYNCDIR";
  case FUSE_GETLK:
    return "GETLK";
  case FUSE_SETLK:
    return "SETLK";
  case FUSE_SETLKW:
    return "SETLKW";
  case FUSE_ACCESS:
    return "ACCESS";
  case FUSE_CREATE:
    return "CREATE";
  case FUSE_INTERRUPT:
    return "INTERRUPT";
  case FUSE_BMAP:
    return "BMAP";
  case FUSE_DESTROY:
    return "DESTROY";
  case FUSE_IOCTL:
    return "IOCTL";
  case FUSE_POLL:
    return "POLL";
  case FUSE_NOTIFY_REPLY:
    return "NOTIFY_REPLY";
  case FUSE_BATCH_FORGET:
    return "BATCH_FORGET";
  case FUSE_FALLOCATE:
    return "FALLOCATE";
  case FUSE_READDIRPLUS:
    return "READDIRPLUS";
  case FUSE_RENAME2:
    return "RENAME2";
  case FUSE_LSEEK:
    return "LSEEK";
  case FUSE_COPY_FILE_RANGE:
    return "COPY_FILE_RANGE";
  case FUSE_SETUPMAPPING:
    return "SETUPMAPPING";
  case FUSE_REMOVEMAPPING:
    return "REMOVEMAPPING";
  case FUSE_SYNCFS:
    return "SYNCFS";
  case FUSE_TMPFILE:
    return "TMPFILE";
  default:
    break;
  }
  for (const auto& abi : k_famfs_abis) {
    if (opcode == abi.op_get_fmap) {
      return fmt::format("GET_FMAP({})", abi.name);
    }
    if (opcode == abi.op_get_daxdev) {
      return fmt::format("GET_DAXDEV({})", abi.name);
    }
  }
  return fmt::format("op{}", opcode);
}

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
  auto decoded = decode_body(h, body);
  if (!decoded) {
    return std::move(decoded).error();
  }
  return Request{h, std::move(*decoded)};
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

std::vector<std::byte> encode_notify_inval_inode(u64 ino) {
  fuse_out_header h{};
  h.len = static_cast<u32>(sizeof(h) + sizeof(fuse_notify_inval_inode_out));
  h.error = FUSE_NOTIFY_INVAL_INODE; // a notification code, not an errno
  h.unique = 0;
  fuse_notify_inval_inode_out body{};
  body.ino = ino;
  body.off = -1; // attributes only
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

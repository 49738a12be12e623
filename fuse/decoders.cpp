#include "fuse/decoders.hpp"

#include <algorithm>
#include <cstring>

namespace famfs::fuse::decoders {

namespace {

// A bounds-checked cursor over request bytes. Nothing is read before its length is checked.
class Reader {
public:
  Reader(Span b, const char* what) : m_b(b), m_what(what) {}
  std::size_t left() const { return m_b.size() - m_pos; }

  template <typename T> Result<T> take() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (left() < sizeof(T)) {
      return fail(Errc::invalid_argument, "{}: {} bytes, need {}", m_what, left(), sizeof(T));
    }
    T v;
    std::memcpy(&v, m_b.data() + m_pos, sizeof(T));
    m_pos += sizeof(T);
    return v;
  }
  // Skips `n` bytes, which must be there.
  Result<void> skip(std::size_t n) {
    if (left() < n) {
      return fail(Errc::invalid_argument, "{}: {} bytes, need {}", m_what, left(), n);
    }
    m_pos += n;
    return {};
  }
  // A NUL-terminated string; the view excludes the NUL. Refuses an empty name.
  Result<std::string_view> name() {
    auto rest = m_b.subspan(m_pos);
    auto nul = std::find(rest.begin(), rest.end(), std::byte{0});
    if (nul == rest.end()) {
      return fail(Errc::invalid_argument, "{}: name is not NUL-terminated", m_what);
    }
    auto n = static_cast<std::size_t>(nul - rest.begin());
    if (n == 0) {
      return fail(Errc::invalid_argument, "{}: empty name", m_what);
    }
    std::string_view s(reinterpret_cast<const char*>(rest.data()), n);
    m_pos += n + 1;
    return s;
  }
  Span rest() const { return m_b.subspan(m_pos); }

private:
  Span m_b;
  const char* m_what;
  std::size_t m_pos = 0;
};

} // namespace

Result<Body> none(Span /*body*/, const char* /*what*/) {
  return Body{NoBody{}};
}

Result<Body> unknown(Span /*body*/, const char* /*what*/) {
  return Body{Unknown{}};
}

Result<Body> init(Span body, const char* /*what*/) {
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

Result<Body> name(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(std::string_view n, r.name());
  return Body{NameIn{n}};
}

Result<Body> forget(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_forget_in>());
  return Body{ForgetIn{in.nlookup}};
}

Result<Body> batch_forget(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_batch_forget_in>());
  if (in.count > r.left() / sizeof(fuse_forget_one)) {
    return fail(Errc::invalid_argument, "BATCH_FORGET: {} items in {} bytes", in.count, r.left());
  }
  BatchForgetIn out;
  out.items.reserve(in.count);
  for (u32 i = 0; i < in.count; ++i) {
    FAMFS_TRY_ASSIGN(auto one, r.take<fuse_forget_one>());
    out.items.push_back(ForgetItem{one.nodeid, one.nlookup});
  }
  return Body{std::move(out)};
}

Result<Body> getattr(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_getattr_in>());
  return Body{GetattrIn{in.getattr_flags, in.fh}};
}

Result<Body> setattr(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_setattr_in>());
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

Result<Body> open(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_open_in>());
  return Body{OpenIn{in.flags, in.open_flags}};
}

Result<Body> read(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_read_in>());
  return Body{ReadIn{in.fh, in.offset, in.size, in.read_flags, in.flags}};
}

Result<Body> write(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_write_in>());
  if (in.size != r.left()) {
    return fail(Errc::invalid_argument, "WRITE: size {} but {} data bytes", in.size, r.left());
  }
  return Body{WriteIn{in.fh, in.offset, in.size, in.write_flags, in.flags, r.rest()}};
}

Result<Body> release(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_release_in>());
  return Body{ReleaseIn{in.fh, in.flags, in.release_flags}};
}

Result<Body> flush(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_flush_in>());
  return Body{FlushIn{in.fh}};
}

Result<Body> fsync(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_fsync_in>());
  return Body{FsyncIn{in.fh, in.fsync_flags}};
}

Result<Body> getxattr(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_getxattr_in>());
  FAMFS_TRY_ASSIGN(std::string_view n, r.name());
  return Body{GetxattrIn{in.size, n}};
}

Result<Body> listxattr(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_getxattr_in>());
  return Body{GetxattrIn{in.size, {}}};
}

Result<Body> access(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_access_in>());
  return Body{AccessIn{in.mask}};
}

Result<Body> interrupt(Span body, const char* what) {
  Reader r(body, what);
  FAMFS_TRY_ASSIGN(auto in, r.take<fuse_interrupt_in>());
  return Body{InterruptIn{in.unique}};
}

Result<Body> refused_shape(Span body, const char* what, std::size_t fixed, int names) {
  Reader r(body, what);
  FAMFS_TRY(r.skip(fixed));
  for (int i = 0; i < names; ++i) {
    FAMFS_TRY(r.name());
  }
  return Body{Refused{}};
}

} // namespace famfs::fuse::decoders

// The handlers of file data (OPEN, READ, WRITE, FSYNC, FLUSH, RELEASE) and of the famfs kernel
// extension (GET_FMAP, GET_DAXDEV). Each copies what it needs out of the tree (file_span), drops
// the lock, and only then touches device memory, under a media guard.
#include "core/media_guard.hpp"
#include "core/trace.hpp"
#include "fuse/famfs_fmap.hpp"
#include "fuse/handlers.hpp"
#include "fuse/ops.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace famfs::fuse {

namespace {

// READ replies point into the device with one iovec per piece; past this many pieces we copy.
constexpr std::size_t k_max_zero_copy_pieces = 512;

} // namespace

std::variant<Handlers::FileSpan, int>
Handlers::file_span(u64 ino, Access access, u64 off, u64 len) const {
  if (access != Access::persist && m_log.health().clobbered()) {
    return EIO; // the media changed under this mount (the status says how)
  }
  FileSpan span;
  TreeReader tree = m_log.read_tree();
  const auto [n, err] = node_or_errno(tree, ino);
  if (n == nullptr) {
    return err;
  }
  if (n->kind == core::NodeKind::dir) {
    if (access == Access::persist) {
      return span; // nothing of a directory's is ours to persist
    }
    return EISDIR;
  }
  if (access == Access::write && n->meta) {
    return EPERM;
  }
  if (access == Access::write && !m_opts.writable) {
    return EROFS;
  }
  span.size = n->size;
  if (off >= n->size || len == 0) {
    return span;
  }
  if (!n->meta && !m_img.device().data_mapped()) {
    // A famfs-mode device: the kernel maps its file data (GET_FMAP); we hold only the metadata.
    FAMFS_TRACE(2, "node {}: file data of a famfs-mode device does not pass through the daemon",
                ino);
    return EIO;
  }
  log::for_each_piece(n->fmap, off, std::min(len, n->size - off), [&](u64, log::Piece p) {
    if (p.dev_off > m_dev_size || p.len > m_dev_size - p.dev_off) {
      return false; // the map points past the device: serve nothing from there on
    }
    if (!span.pieces.empty() && span.pieces.back().dev_off + span.pieces.back().len == p.dev_off) {
      span.pieces.back().len += p.len;
    } else {
      span.pieces.push_back(p);
    }
    return true;
  });
  return span;
}

Outcome Handlers::do_open(const Request& r) {
  const auto& in = std::get<OpenIn>(r.body);
  const Access access = (in.flags & O_ACCMODE) != O_RDONLY ? Access::write : Access::read;
  auto span = file_span(r.header.nodeid, access, 0, 0);
  if (const int* err = std::get_if<int>(&span)) {
    return error_to(r, *err);
  }
  fuse_open_out out{};
  if (page_cached()) {
    // Page-cache mode: the kernel reads ahead and keeps the pages across opens, until a write
    // through this mount changes them or famfs flush drops them (ServerOptions::page_cache).
    out.open_flags = FOPEN_KEEP_CACHE;
  } else {
    // Direct I/O: every read and write comes to us, so data written by another host (or process
    // on the device) is never hidden behind a stale page cache.
    out.open_flags = FOPEN_DIRECT_IO;
    if (m_opts.writable) {
      out.open_flags |= FOPEN_PARALLEL_DIRECT_WRITES;
    }
  }
  return reply_to(r, Reply::of(out));
}

Outcome Handlers::do_read(const Request& r) {
  const auto& in = std::get<ReadIn>(r.body);
  auto span = file_span(r.header.nodeid, Access::read, in.offset, std::min(in.size, k_max_io));
  if (const int* err = std::get_if<int>(&span)) {
    return error_to(r, *err);
  }
  const FileSpan& s = std::get<FileSpan>(span);
  if (in.offset >= s.size || in.size == 0) {
    return reply_to(r, Reply::ok()); // end of file
  }
  if (s.pieces.empty()) {
    FAMFS_TRACE(1, "READ node {} offset {}: the file's map does not cover it", r.header.nodeid,
                in.offset);
    return error_to(r, EIO);
  }
  return read_reply(r, s.pieces);
}

Outcome Handlers::read_reply(const Request& r, const std::vector<log::Piece>& pieces) {
  const core::Device& dev = m_img.device();
  if (dev.page_cached()) { // a pmem block device: read the memory, not this host's old pages
    for (const auto& p : pieces) {
      dev.invalidate(p.dev_off, p.len);
    }
  }
  if (pieces.size() > k_max_zero_copy_pieces) {
    u64 total = 0;
    for (const auto& p : pieces) {
      total += p.len;
    }
    std::vector<std::byte> copy(total);
    u64 done = 0;
    for (const auto& p : pieces) {
      if (auto c = core::guarded_copy(copy.data() + done, dev.at(p.dev_off), p.len); !c) {
        return media_error_reply(r, c.error());
      }
      done += p.len;
    }
    return reply_to(r, Reply::bytes(std::move(copy)));
  }
  // Zero copy: the reply's iovecs point straight into the device mapping. Lost memory there
  // makes the kernel's copy fail with EFAULT when the reply is written (Server::serve).
  Reply reply = Reply::ok();
  for (const auto& p : pieces) {
    reply.add_data(std::span<const std::byte>(dev.at(p.dev_off), p.len));
  }
  return reply_to(r, std::move(reply));
}

Outcome Handlers::do_write(const Request& r) {
  const auto& in = std::get<WriteIn>(r.body);
  if (!m_log.health().clobbered() && (!m_opts.writable || !m_img.device().writable())) {
    return error_to(r, EROFS); // before ENOENT, as ever (file_span says EIO when clobbered)
  }
  auto span = file_span(r.header.nodeid, Access::write, in.offset, in.size);
  if (const int* err = std::get_if<int>(&span)) {
    return error_to(r, *err);
  }
  const FileSpan& s = std::get<FileSpan>(span);
  if (in.size == 0) {
    return reply_to(r, Reply::of(fuse_write_out{}));
  }
  if (in.offset >= s.size) {
    return error_to(r, EPERM); // famfs files never grow
  }
  const u64 reserved = log::first_data_offset(m_img.superblock().log_len);
  u64 done = 0;
  for (const auto& p : s.pieces) {
    if (p.dev_off < reserved) {
      FAMFS_TRACE(1, "WRITE node {}: map points into the superblock or log; refused",
                  r.header.nodeid);
      break;
    }
    // A sparse backing file whose file system is full: ENOSPC, not a media error.
    if (auto room = m_img.device().reserve(p.dev_off, p.len); !room) {
      FAMFS_TRACE(1, "WRITE node {}: {}", r.header.nodeid, room.error().message);
      if (done != 0) {
        break; // a short write; the next one gets the error
      }
      return error_to(r, to_errno(room.error()));
    }
    auto c = core::guarded_copy(m_img.device().at(p.dev_off), in.data.data() + done, p.len);
    if (!c) {
      return media_error_reply(r, c.error());
    }
    done += p.len;
  }
  if (done == 0) {
    return error_to(r, EIO);
  }
  fuse_write_out out{};
  out.size = static_cast<u32>(done);
  return reply_to(r, Reply::of(out));
}

Outcome Handlers::do_fsyncdir(const Request& r) {
  return reply_to(r, Reply::ok()); // a directory holds nothing of ours to persist
}

Outcome Handlers::do_fsync(const Request& r) {
  auto span = file_span(r.header.nodeid, Access::persist, 0, std::numeric_limits<u64>::max());
  if (const int* err = std::get_if<int>(&span)) {
    return error_to(r, *err);
  }
  if (!m_img.device().writable()) {
    return reply_to(r, Reply::ok()); // nothing of ours to persist on a read-only mapping
  }
  for (const auto& p : std::get<FileSpan>(span).pieces) {
    auto done = m_img.device().persist(p.dev_off, p.len);
    if (!done) {
      FAMFS_TRACE(1, "FSYNC node {}: {}", r.header.nodeid, done.error().message);
      return error_to(r, to_errno(done.error()));
    }
  }
  return reply_to(r, Reply::ok());
}

Outcome Handlers::do_release(const Request& r) {
  return reply_to(r, Reply::ok());
}

Outcome Handlers::do_flush(const Request& r) {
  return reply_to(r, Reply::ok());
}

Outcome Handlers::media_error_reply(const Request& r, const Error& e) {
  m_log.health().count_media_error();
  FAMFS_TRACE(0, "{} node {}: {}; replying EIO", opcode_name(r.header.opcode), r.header.nodeid,
              e.message);
  return error_to(r, EIO);
}

// ---- The famfs extension ----

const std::string& Handlers::daxdev_path() const {
  return m_opts.daxdev_path.empty() ? m_img.device().path() : m_opts.daxdev_path;
}

Outcome Handlers::do_get_fmap(const Request& r) {
  // in_header.nodeid is the file; no body (fuse-famfs-protocol.md §2, §3), except under a
  // size-probing revision: the kernel's buffer size. Any failure fails the kernel's open(2), so
  // every refusal is traced with the reason.
  std::uint32_t buffer = m_opts.famfs_abi->max_reply;
  if (m_opts.famfs_abi->size_probe) {
    const auto* in = std::get_if<Unknown>(&r.body);
    if (in == nullptr || in->bytes.size() < 8) {
      FAMFS_TRACE(1, "GET_FMAP node {}: no buffer size in the request", r.header.nodeid);
      return error_to(r, EINVAL);
    }
    std::memcpy(&buffer, in->bytes.data(), sizeof(buffer));
  }
  if (m_log.health().clobbered()) {
    // No map into media that changed under this mount: the kernel would read another file
    // system's bytes through it.
    FAMFS_TRACE(1, "GET_FMAP node {}: the file system was clobbered; open fails with EIO",
                r.header.nodeid);
    return error_to(r, EIO);
  }
  std::vector<std::byte> msg;
  {
    TreeReader tree = m_log.read_tree();
    const auto [n, err] = node_or_errno(tree, r.header.nodeid);
    if (n == nullptr) {
      FAMFS_TRACE(1, "GET_FMAP node {}: no such node", r.header.nodeid);
      return error_to(r, err);
    }
    if (n->kind != core::NodeKind::file) {
      FAMFS_TRACE(1, "GET_FMAP node {}: not a regular file", r.header.nodeid);
      return error_to(r, EINVAL);
    }
    // file_size is exactly what attr_of reports as st_size (n->size): the kernel marks the file
    // bad if the two ever differ.
    auto enc = encode_famfs_fmap(n->fmap, n->size, *m_opts.famfs_abi);
    if (!enc) {
      FAMFS_TRACE(1,
                  "GET_FMAP node {} ({}): the kernel cannot take this map, open fails with EIO: "
                  "{}",
                  r.header.nodeid, log::fmap_text(n->fmap), enc.error().message);
      return error_to(r, EIO);
    }
    msg = std::move(*enc);
  }
  if (msg.size() > buffer) {
    FAMFS_TRACE(2, "GET_FMAP node {}: {} bytes do not fit the kernel's {}; the header alone",
                r.header.nodeid, msg.size(), buffer);
  }
  msg = fit_famfs_fmap_reply(std::move(msg), buffer);
  FAMFS_TRACE(3, "GET_FMAP node {}: {} bytes", r.header.nodeid, msg.size());
  return reply_to(r, Reply::bytes(std::move(msg)));
}

Outcome Handlers::do_get_daxdev(const Request& r) {
  // in_header.nodeid is the daxdev index; we serve one device, index 0.
  if (r.header.nodeid != 0) {
    FAMFS_TRACE(1, "GET_DAXDEV index {}: this file system has only device 0", r.header.nodeid);
    return error_to(r, EINVAL);
  }
  const std::string& path = daxdev_path();
  auto enc = encode_famfs_daxdev(path);
  if (!enc) {
    FAMFS_TRACE(1, "GET_DAXDEV 0: {}", enc.error().message);
    return error_to(r, ENAMETOOLONG);
  }
  FAMFS_TRACE(2, "GET_DAXDEV 0: {}", path);
  return reply_to(r, Reply::bytes(std::move(*enc)));
}

} // namespace famfs::fuse

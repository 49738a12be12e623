// Writes the seed corpora, committed under tests/fuzz/corpus/:
//   famfs_fuzz_seeds log DIR    fuzz_log: small valid images and a few damaged ones
//   famfs_fuzz_seeds fuse DIR   fuzz_fuse: request streams over tests/fuzz/fuse_image.hpp
// Run again (build target famfs_fuzz_seeds) when the format or the image changes.
#include "fuse/protocol.hpp"
#include "log/records.hpp"
#include "tests/fuzz/fuse_image.hpp"

#include <fcntl.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace famfs::log;

namespace {

std::vector<std::byte> image(u64 slots, const std::vector<LogEntry>& entries) {
  const u64 log_len = k_log_header_size + slots * k_log_entry_size;
  std::vector<std::byte> img(k_superblock_size + log_len);
  Superblock sb;
  sb.log_len = log_len;
  sb.dev_size = 64 << 20;
  sb.dev_name = "/dev/shm/seed.img";
  encode_superblock(sb, img);
  std::span<std::byte> log(img.data() + k_superblock_size, log_len);
  LogHeader h = make_log_header(log_len);
  h.next_index = entries.size();
  h.next_seqnum = entries.size();
  encode_log_header(h, log);
  for (u64 i = 0; i < entries.size(); ++i) {
    LogEntry e = entries[i];
    e.seqnum = i;
    encode_entry(e, log.subspan(entry_offset(i), k_log_entry_size));
  }
  return img;
}

LogEntry dir(std::string p) {
  LogEntry e;
  e.type = EntryType::mkdir;
  e.body = MkdirEntry{0, 0, 0755, std::move(p)};
  return e;
}

LogEntry file(std::string p, u64 size, Fmap m) {
  LogEntry e;
  e.type = EntryType::file;
  FileEntry f;
  f.size = size;
  f.relpath = std::move(p);
  f.fmap = std::move(m);
  e.body = std::move(f);
  return e;
}

void write(const std::string& dir_path, const std::string& name, const std::vector<std::byte>& b) {
  std::ofstream out(dir_path + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void log_seeds(const std::string& d) {
  Fmap simple;
  simple.extents = {{0, 0xa00000, 0x200000}, {0, 0xe00000, 0x400000}};
  Fmap il;
  il.type = ExtType::interleaved;
  il.chunk_size = 0x200000;
  il.extents = {{0, 0x1000000, 0x400000}, {0, 0x1400000, 0x400000}};
  write(d, "empty", image(4, {}));
  write(d, "tree",
        image(6, {dir("a"), dir("a/b"), file("a/b/f", 4096, simple), file("a/il", 0x500000, il),
                  dir("a/../c")}));
  write(d, "dup-and-bad",
        image(5, {dir("x"), file("x", 1, simple), file("/abs", 1, simple), file("y", 1, simple),
                  file("y", 2, simple)}));
  auto torn = image(3, {dir("a"), dir("b"), dir("c")});
  torn[k_superblock_size + entry_offset(1) + 20] ^= std::byte{0x40};
  write(d, "torn", torn);
  auto sb_only = image(2, {});
  sb_only.resize(k_superblock_size);
  write(d, "superblock-only", sb_only);
}

// ---- fuzz_fuse ----

using famfs::fuse::encode_request;
using famfs::fuse::encode_request_of;
namespace fz = famfs::fuzz;

// Options byte bits (fuzz_fuse.cpp).
constexpr unsigned k_writable = 1;
constexpr unsigned k_fmap = 2;
constexpr unsigned k_rfc2025 = 4;
constexpr unsigned k_auto_init = 8;
constexpr unsigned k_trace = 16;
constexpr unsigned k_no_follow = 32;
constexpr unsigned k_batch_one = 64;

template <typename T> std::vector<std::byte> bytes_of(const T& v) {
  std::vector<std::byte> b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

std::vector<std::byte> name(const std::string& n) {
  std::vector<std::byte> b(n.size() + 1);
  std::memcpy(b.data(), n.c_str(), n.size() + 1);
  return b;
}

std::vector<std::byte> cat(std::vector<std::byte> a, const std::vector<std::byte>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// One fuzz input: the options byte, then length-prefixed requests.
class Stream {
public:
  explicit Stream(unsigned opts) { m_b.push_back(static_cast<std::byte>(opts)); }
  void raw(const std::vector<std::byte>& req) {
    const auto n = static_cast<std::uint16_t>(req.size());
    m_b.push_back(static_cast<std::byte>(n & 0xff));
    m_b.push_back(static_cast<std::byte>(n >> 8));
    m_b.insert(m_b.end(), req.begin(), req.end());
  }
  void op(u32 opcode, u64 node, const std::vector<std::byte>& body = {}) {
    raw(encode_request(opcode, ++m_unique, node, body));
  }
  template <typename T> void of(u32 opcode, u64 node, const T& body) {
    raw(encode_request_of(opcode, ++m_unique, node, body));
  }
  void init(u32 minor = 45,
            u32 flags = FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_MAX_PAGES | FUSE_DO_READDIRPLUS
                        | FUSE_PARALLEL_DIROPS,
            u32 flags2 = 0,
            u32 major = 7) {
    fuse_init_in in{};
    in.major = major;
    in.minor = minor;
    in.max_readahead = 1U << 17;
    in.flags = flags;
    in.flags2 = flags2;
    of(FUSE_INIT, 0, in);
  }
  void read(u32 opcode, u64 node, u64 fh, u64 off, u32 size) {
    fuse_read_in in{};
    in.fh = fh;
    in.offset = off;
    in.size = size;
    of(opcode, node, in);
  }
  void write(u64 node, u64 off, std::size_t n) {
    fuse_write_in in{};
    in.offset = off;
    in.size = static_cast<u32>(n);
    op(FUSE_WRITE, node, cat(bytes_of(in), std::vector<std::byte>(n, std::byte{0x5a})));
  }
  void xattr(u32 opcode, u64 node, u32 size, const std::string& n = {}) {
    fuse_getxattr_in in{};
    in.size = size;
    op(opcode, node, n.empty() ? bytes_of(in) : cat(bytes_of(in), name(n)));
  }
  const std::vector<std::byte>& bytes() const { return m_b; }

private:
  std::vector<std::byte> m_b;
  u64 m_unique = 1;
};

void fuse_seeds(const std::string& d) {
  {
    Stream s(k_writable | k_trace);
    s.init();
    s.op(FUSE_LOOKUP, fz::ino_root, name("d"));
    s.op(FUSE_LOOKUP, fz::ino_d, name("simple"));
    s.op(FUSE_LOOKUP, fz::ino_d, name("nope"));
    s.op(FUSE_LOOKUP, fz::ino_root, name(".meta"));
    s.op(FUSE_LOOKUP, fz::ino_meta, name(".log"));
    s.of(FUSE_GETATTR, fz::ino_simple, fuse_getattr_in{});
    fuse_access_in ai{};
    ai.mask = W_OK;
    s.of(FUSE_ACCESS, fz::ino_simple, ai);
    fuse_open_in oi{};
    oi.flags = O_RDWR;
    s.of(FUSE_OPEN, fz::ino_simple, oi);
    s.read(FUSE_READ, fz::ino_simple, 0, 0, 4096);
    s.read(FUSE_READ, fz::ino_simple, 0, (2ULL << 20) - 10, 100);
    s.write(fz::ino_simple, 10, 100);
    s.of(FUSE_FLUSH, fz::ino_simple, fuse_flush_in{});
    s.of(FUSE_FSYNC, fz::ino_simple, fuse_fsync_in{});
    s.of(FUSE_RELEASE, fz::ino_simple, fuse_release_in{});
    fuse_setattr_in sa{};
    sa.valid = FATTR_MODE | FATTR_MTIME | FATTR_ATIME | FATTR_ATIME_NOW | FATTR_UID | FATTR_GID;
    sa.mode = 0600;
    sa.mtime = 12345;
    s.of(FUSE_SETATTR, fz::ino_simple, sa);
    sa.valid = FATTR_SIZE;
    sa.size = 1;
    s.of(FUSE_SETATTR, fz::ino_simple, sa);
    fuse_forget_in fg{};
    fg.nlookup = 1;
    s.of(FUSE_FORGET, fz::ino_simple, fg);
    fuse_batch_forget_in bf{2, 0};
    fuse_forget_one one{fz::ino_d, 1};
    fuse_forget_one two{fz::ino_log, 1};
    s.op(FUSE_BATCH_FORGET, 0, cat(cat(bytes_of(bf), bytes_of(one)), bytes_of(two)));
    s.of(FUSE_GETATTR, fz::ino_simple, fuse_getattr_in{});
    write(d, "init-walk", s.bytes());
  }
  {
    Stream s(k_auto_init | k_writable);
    s.of(FUSE_OPENDIR, fz::ino_root, fuse_open_in{}); // fh 1
    s.read(FUSE_READDIR, fz::ino_root, 1, 0, 4096);
    s.read(FUSE_READDIRPLUS, fz::ino_root, 1, 2, 200);
    fuse_release_in rel{};
    rel.fh = 1;
    s.of(FUSE_RELEASEDIR, fz::ino_root, rel);
    s.of(FUSE_OPENDIR, fz::ino_d, fuse_open_in{}); // fh 2
    s.read(FUSE_READDIRPLUS, fz::ino_d, 2, 0, 4096);
    s.read(FUSE_READDIR, fz::ino_d, 2, 1, 48);
    s.read(FUSE_READDIR, fz::ino_root, 2, 0, 4096); // another directory's handle
    s.of(FUSE_FSYNCDIR, fz::ino_d, fuse_fsync_in{});
    s.of(FUSE_OPENDIR, fz::ino_simple, fuse_open_in{});
    s.of(FUSE_OPENDIR, fz::ino_meta, fuse_open_in{}); // fh 3
    s.read(FUSE_READDIRPLUS, fz::ino_meta, 3, 0, 1 << 20);
    write(d, "dirs", s.bytes());
  }
  {
    Stream s(k_auto_init | k_no_follow | k_batch_one);
    s.xattr(FUSE_GETXATTR, fz::ino_root, 4096, "user.famfs.status");
    s.xattr(FUSE_GETXATTR, fz::ino_root, 0, "user.famfs.status");
    s.xattr(FUSE_GETXATTR, fz::ino_root, 5, "user.famfs.status");
    s.xattr(FUSE_GETXATTR, fz::ino_inter, 4096, "user.famfs.fmap");
    s.xattr(FUSE_GETXATTR, fz::ino_wild, 0, "user.famfs.fmap");
    s.xattr(FUSE_GETXATTR, fz::ino_inter, 4096, "user.other");
    s.xattr(FUSE_GETXATTR, fz::ino_root, 4096, "user.famfs.logplay");
    s.xattr(FUSE_LISTXATTR, fz::ino_root, 4096);
    s.xattr(FUSE_LISTXATTR, fz::ino_inter, 0);
    s.xattr(FUSE_LISTXATTR, fz::ino_inter, 3);
    s.op(FUSE_STATFS, fz::ino_root);
    write(d, "xattrs", s.bytes());
  }
  {
    Stream s(k_writable | k_fmap | k_trace);
    s.init(45, FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_MAX_PAGES,
           famfs::fuse::k_famfs_abi_v7.flags2_dax_fmap);
    const u32 get_fmap = famfs::fuse::k_famfs_abi_v7.op_get_fmap;
    for (u64 ino :
         {u64{fz::ino_simple}, u64{fz::ino_inter}, u64{fz::ino_chunky}, u64{fz::ino_wild},
          u64{fz::ino_short}, u64{fz::ino_empty}, u64{fz::ino_d}, u64{fz::ino_log}, u64{99}}) {
      s.op(get_fmap, ino);
    }
    s.op(famfs::fuse::k_famfs_abi_v7.op_get_daxdev, 0);
    s.op(famfs::fuse::k_famfs_abi_v7.op_get_daxdev, 1);
    write(d, "fmap-v7", s.bytes());
  }
  {
    Stream s(k_fmap | k_rfc2025 | k_auto_init);
    s.op(famfs::fuse::k_famfs_abi_rfc2025.op_get_fmap, fz::ino_simple);
    s.op(famfs::fuse::k_famfs_abi_rfc2025.op_get_fmap, fz::ino_inter);
    s.op(famfs::fuse::k_famfs_abi_rfc2025.op_get_daxdev, 0);
    write(d, "fmap-rfc2025", s.bytes());
  }
  {
    Stream s(k_auto_init | k_writable);
    s.op(FUSE_MKDIR, fz::ino_root, cat(bytes_of(fuse_mkdir_in{}), name("x")));
    s.op(FUSE_MKNOD, fz::ino_root, cat(bytes_of(fuse_mknod_in{}), name("x")));
    s.op(FUSE_CREATE, fz::ino_root, cat(bytes_of(fuse_create_in{}), name("x")));
    s.op(FUSE_TMPFILE, fz::ino_root, cat(bytes_of(fuse_create_in{}), name("x")));
    s.op(FUSE_UNLINK, fz::ino_root, name("inter"));
    s.op(FUSE_RMDIR, fz::ino_root, name("d"));
    s.op(FUSE_SYMLINK, fz::ino_root, cat(name("x"), name("t")));
    s.op(FUSE_RENAME, fz::ino_root, cat(cat(bytes_of(fuse_rename_in{}), name("x")), name("y")));
    s.op(FUSE_RENAME2, fz::ino_root, cat(cat(bytes_of(fuse_rename2_in{}), name("x")), name("y")));
    s.op(FUSE_LINK, fz::ino_root, cat(bytes_of(fuse_link_in{}), name("x")));
    std::vector<std::byte> sx(FUSE_COMPAT_SETXATTR_IN_SIZE);
    s.op(FUSE_SETXATTR, fz::ino_inter, cat(sx, name("user.x")));
    s.op(FUSE_REMOVEXATTR, fz::ino_inter, name("user.x"));
    s.of(FUSE_FALLOCATE, fz::ino_inter, fuse_fallocate_in{});
    s.of(FUSE_LSEEK, fz::ino_inter, fuse_lseek_in{});
    s.op(FUSE_READLINK, fz::ino_inter);
    fuse_interrupt_in ii{};
    ii.unique = 3;
    s.of(FUSE_INTERRUPT, 0, ii);
    s.op(FUSE_GETLK, fz::ino_inter, std::vector<std::byte>(sizeof(fuse_lk_in)));
    s.op(9999, fz::ino_inter);
    s.op(FUSE_DESTROY, 0);
    s.op(FUSE_STATFS, fz::ino_root); // after DESTROY: never handled
    write(d, "refused-and-unknown", s.bytes());
  }
  {
    Stream s(0);
    s.of(FUSE_GETATTR, fz::ino_root, fuse_getattr_in{}); // before INIT
    s.init(12);                                          // too old
    s.init(45, 0, 0, 8);                                 // a newer major
    s.init(31, FUSE_ASYNC_READ, 1U << 4);                // no INIT_EXT: flags2 ignored
    s.init(38);                                          // a second INIT
    s.of(FUSE_GETATTR, fz::ino_root, fuse_getattr_in{});
    write(d, "init-variants", s.bytes());
  }
  {
    Stream s(k_auto_init | k_writable | k_trace);
    s.raw(std::vector<std::byte>(10)); // no unique id
    auto g = encode_request(FUSE_GETATTR, 7, 1, std::vector<std::byte>(16));
    s.raw(std::vector<std::byte>(g.begin(), g.begin() + 30)); // half a header
    auto lie = g;
    const u32 big = 1000;
    std::memcpy(lie.data(), &big, 4);
    s.raw(lie);                                        // len lies
    s.op(FUSE_LOOKUP, fz::ino_root, {std::byte{'d'}}); // no NUL
    s.op(FUSE_LOOKUP, fz::ino_root, {std::byte{0}});   // empty name
    s.op(FUSE_LOOKUP, fz::ino_root, {});
    s.op(FUSE_READ, fz::ino_simple, std::vector<std::byte>(8)); // short body
    fuse_write_in wi{};
    wi.size = 100;
    s.op(FUSE_WRITE, fz::ino_simple, cat(bytes_of(wi), std::vector<std::byte>(10)));
    fuse_batch_forget_in bf{0xffffffffU, 0};
    s.op(FUSE_BATCH_FORGET, 0, bytes_of(bf));
    s.op(FUSE_GETXATTR, fz::ino_inter, cat(bytes_of(fuse_getxattr_in{}), {std::byte{'u'}}));
    s.op(FUSE_RENAME, fz::ino_root, cat(bytes_of(fuse_rename_in{}), name("x")));
    s.op(FUSE_INIT, 0, std::vector<std::byte>(8));
    s.op(FUSE_FORGET, fz::ino_simple, std::vector<std::byte>(4));
    s.op(FUSE_SETATTR, fz::ino_simple, std::vector<std::byte>(20));
    s.of(FUSE_GETATTR, 0, fuse_getattr_in{});
    s.of(FUSE_GETATTR, ~0ULL, fuse_getattr_in{});
    write(d, "malformed", s.bytes());
  }
  {
    Stream s(k_auto_init | k_writable);
    s.read(FUSE_READ, fz::ino_chunky, 0, 0, 1 << 20); // 1024 pieces: copied, not zero-copy
    s.read(FUSE_READ, fz::ino_wild, 0, fz::k_fuse_au - 10, 100);
    s.read(FUSE_READ, fz::ino_wild, 0, fz::k_fuse_au + 5, 100);
    s.read(FUSE_READ, fz::ino_inter, 0, 250 * 1024, 20 * 1024);
    s.read(FUSE_READ, fz::ino_superblock, 0, 0, 200);
    s.read(FUSE_READ, fz::ino_empty, 0, 0, 10);
    s.read(FUSE_READ, fz::ino_short, 0, 5ULL << 20, 10);
    s.read(FUSE_READ, fz::ino_d, 0, 0, 10);
    s.read(FUSE_READ, fz::ino_simple, 0, ~0ULL - 5, 4096);
    s.write(fz::ino_over_log, 0, 64);
    s.write(fz::ino_wild, fz::k_fuse_au + 5, 10);
    s.write(fz::ino_empty, 0, 10);
    s.write(fz::ino_deep, 4000, 200);
    s.write(fz::ino_log, 0, 8);
    s.write(fz::ino_deep, 0, 0);
    s.of(FUSE_FSYNC, fz::ino_wild, fuse_fsync_in{});
    write(d, "reads-writes", s.bytes());
  }
}

} // namespace

int main(int argc, char** argv) {
  const std::string what = argc == 3 ? argv[1] : "";
  if (what == "log") {
    log_seeds(argv[2]);
  } else if (what == "fuse") {
    fuse_seeds(argv[2]);
  } else {
    std::fprintf(stderr, "usage: famfs_fuzz_seeds log|fuse DIR\n");
    return 2;
  }
  return 0;
}

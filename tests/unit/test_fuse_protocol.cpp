// The FUSE codec: request decoding with every length checked, reply encoding, directory buffers.
#include "fuse/ops.hpp"
#include "fuse/protocol.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace famfs;
using namespace famfs::fuse;

namespace {

std::vector<std::byte> bytes_of(std::string_view s, bool nul = true) {
  std::vector<std::byte> out;
  for (char c : s) {
    out.push_back(static_cast<std::byte>(c));
  }
  if (nul) {
    out.push_back(std::byte{0});
  }
  return out;
}

template <typename T> std::vector<std::byte> raw(const T& v) {
  std::vector<std::byte> out(sizeof(T));
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

std::vector<std::byte> concat(std::vector<std::byte> a, const std::vector<std::byte>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Rewrites the header's len field (to craft inconsistent requests).
void set_len(std::vector<std::byte>& req, u32 len) {
  std::memcpy(req.data(), &len, 4);
}

} // namespace

TEST_CASE("fuse::decode_header: refuses short requests and length mismatches", "[fuse]") {
  std::vector<std::byte> req = encode_request(FUSE_GETATTR, 7, 1, raw(fuse_getattr_in{}));
  SECTION("valid") {
    auto h = decode_header(req);
    REQUIRE(h);
    CHECK(h->opcode == FUSE_GETATTR);
    CHECK(h->unique == 7);
    CHECK(h->nodeid == 1);
    CHECK(h->len == req.size());
  }
  SECTION("shorter than a header") {
    auto h = decode_header(std::span(req).first(39));
    REQUIRE_FALSE(h);
    CHECK(h.error().code == Errc::invalid_argument);
    CHECK_THAT(h.error().message, Catch::Contains("shorter than its 40-byte header"));
  }
  SECTION("header length says more than was received") {
    set_len(req, static_cast<u32>(req.size() + 8));
    auto h = decode_header(req);
    REQUIRE_FALSE(h);
    CHECK_THAT(h.error().message, Catch::Contains("GETATTR request: header says"));
  }
  SECTION("header length says less than was received") {
    set_len(req, 40);
    REQUIRE_FALSE(decode_header(req));
  }
}

TEST_CASE("fuse::decode_request: names", "[fuse]") {
  SECTION("LOOKUP name without its NUL") {
    auto r = decode_request(encode_request(FUSE_LOOKUP, 1, 1, bytes_of("abc", false)));
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("not NUL-terminated"));
  }
  SECTION("LOOKUP empty name") {
    REQUIRE_FALSE(decode_request(encode_request(FUSE_LOOKUP, 1, 1, bytes_of(""))));
  }
  SECTION("LOOKUP") {
    const auto req = encode_request(FUSE_LOOKUP, 1, 1, bytes_of("file.txt")); // views point here
    auto r = decode_request(req);
    REQUIRE(r);
    CHECK(std::get<NameIn>(r->body).name == "file.txt");
  }
  SECTION("GETXATTR needs its fixed part and a name") {
    fuse_getxattr_in in{};
    in.size = 100;
    const auto req =
        encode_request(FUSE_GETXATTR, 1, 1, concat(raw(in), bytes_of("user.famfs.fmap")));
    auto ok = decode_request(req);
    REQUIRE(ok);
    CHECK(std::get<GetxattrIn>(ok->body).name == "user.famfs.fmap");
    CHECK(std::get<GetxattrIn>(ok->body).size == 100);
    REQUIRE_FALSE(decode_request(encode_request(FUSE_GETXATTR, 1, 1, raw(in))));
    REQUIRE_FALSE(decode_request(encode_request(FUSE_GETXATTR, 1, 1, bytes_of("x"))));
  }
}

TEST_CASE("fuse::decode_request: fixed bodies are length-checked", "[fuse]") {
  struct Case {
    u32 op;
    std::size_t size;
  };
  const Case cases[] = {
      {FUSE_FORGET, sizeof(fuse_forget_in)},
      {FUSE_GETATTR, sizeof(fuse_getattr_in)},
      {FUSE_SETATTR, sizeof(fuse_setattr_in)},
      {FUSE_OPEN, sizeof(fuse_open_in)},
      {FUSE_OPENDIR, sizeof(fuse_open_in)},
      {FUSE_READ, sizeof(fuse_read_in)},
      {FUSE_READDIR, sizeof(fuse_read_in)},
      {FUSE_READDIRPLUS, sizeof(fuse_read_in)},
      {FUSE_RELEASE, sizeof(fuse_release_in)},
      {FUSE_RELEASEDIR, sizeof(fuse_release_in)},
      {FUSE_FLUSH, sizeof(fuse_flush_in)},
      {FUSE_FSYNC, sizeof(fuse_fsync_in)},
      {FUSE_ACCESS, sizeof(fuse_access_in)},
      {FUSE_INTERRUPT, sizeof(fuse_interrupt_in)},
      {FUSE_LISTXATTR, sizeof(fuse_getxattr_in)},
      {FUSE_WRITE, sizeof(fuse_write_in)},
      {FUSE_BATCH_FORGET, sizeof(fuse_batch_forget_in)},
      {FUSE_INIT, 16},
      {FUSE_FALLOCATE, sizeof(fuse_fallocate_in)},
  };
  for (const auto& c : cases) {
    std::vector<std::byte> body(c.size); // all zero: a valid body of the exact size
    INFO(opcode_name(c.op));
    CHECK(decode_request(encode_request(c.op, 1, 1, body)));
    for (std::size_t n = 0; n < c.size; ++n) {
      auto r = decode_request(encode_request(c.op, 1, 1, std::span(body).first(n)));
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::invalid_argument);
    }
  }
}

TEST_CASE("fuse::decode_request: WRITE data must match its size", "[fuse]") {
  fuse_write_in in{};
  in.offset = 4096;
  in.size = 5;
  const auto req = encode_request(FUSE_WRITE, 1, 9, concat(raw(in), bytes_of("hell")));
  auto ok = decode_request(req);
  REQUIRE(ok);
  const auto& w = std::get<WriteIn>(ok->body);
  CHECK(w.offset == 4096);
  REQUIRE(w.data.size() == 5);
  CHECK(std::memcmp(w.data.data(), "hell", 5) == 0);
  in.size = 6;
  auto bad = decode_request(encode_request(FUSE_WRITE, 1, 9, concat(raw(in), bytes_of("hell"))));
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("WRITE: size 6 but 5 data bytes"));
}

TEST_CASE("fuse::decode_request: BATCH_FORGET counts are checked against the body", "[fuse]") {
  fuse_batch_forget_in in{};
  in.count = 2;
  fuse_forget_one a{5, 1};
  fuse_forget_one b{6, 3};
  auto ok = decode_request(
      encode_request(FUSE_BATCH_FORGET, 1, 0, concat(concat(raw(in), raw(a)), raw(b))));
  REQUIRE(ok);
  const auto& items = std::get<BatchForgetIn>(ok->body).items;
  REQUIRE(items.size() == 2);
  CHECK(items[1].nodeid == 6);
  CHECK(items[1].nlookup == 3);
  in.count = 0x40000000; // far more than the body holds: refused before any allocation
  REQUIRE_FALSE(decode_request(encode_request(FUSE_BATCH_FORGET, 1, 0, concat(raw(in), raw(a)))));
}

TEST_CASE("fuse::decode_request: INIT reads flags2 only with FUSE_INIT_EXT", "[fuse]") {
  fuse_init_in in{};
  in.major = 7;
  in.minor = 45;
  in.flags = FUSE_ASYNC_READ | FUSE_INIT_EXT;
  in.flags2 = k_famfs_abi_v7.flags2_dax_fmap;
  auto r = decode_request(encode_request_of(FUSE_INIT, 1, 0, in));
  REQUIRE(r);
  const auto& i = std::get<InitIn>(r->body);
  CHECK(i.minor == 45);
  CHECK(i.flags == (FUSE_ASYNC_READ | FUSE_INIT_EXT | (u64{1} << 43)));
  in.flags = FUSE_ASYNC_READ;
  auto r2 = decode_request(encode_request_of(FUSE_INIT, 1, 0, in));
  REQUIRE(r2);
  CHECK(std::get<InitIn>(r2->body).flags == FUSE_ASYNC_READ);
}

TEST_CASE("fuse::decode_request: unknown, famfs and refused opcodes", "[fuse]") {
  SECTION("unknown opcodes decode to Unknown, not an error") {
    auto r = decode_request(encode_request(9999, 1, 1, bytes_of("whatever")));
    REQUIRE(r);
    CHECK(std::holds_alternative<Unknown>(r->body));
    CHECK(opcode_name(9999) == "op9999");
  }
  SECTION("the famfs extension opcodes are named from the ABI table") {
    CHECK(opcode_name(k_famfs_abi_v7.op_get_fmap) == "GET_FMAP(v7)");
    CHECK(opcode_name(k_famfs_abi_v7.op_get_daxdev) == "GET_DAXDEV(v7)");
    CHECK(famfs_abi("v7") == &k_famfs_abis[0]);
    CHECK(famfs_abi("nope") == nullptr);
    CHECK(k_famfs_abi_v7.flags2_dax_fmap == 0x800);
  }
  SECTION("MKDIR needs fuse_mkdir_in and a name") {
    fuse_mkdir_in in{};
    in.mode = 0755;
    auto ok = decode_request(encode_request(FUSE_MKDIR, 1, 1, concat(raw(in), bytes_of("d"))));
    REQUIRE(ok);
    CHECK(std::holds_alternative<Refused>(ok->body));
    REQUIRE_FALSE(decode_request(encode_request(FUSE_MKDIR, 1, 1, raw(in))));
    REQUIRE_FALSE(decode_request(encode_request(FUSE_MKDIR, 1, 1, bytes_of("d"))));
  }
  SECTION("RENAME needs two names") {
    fuse_rename_in in{};
    REQUIRE(decode_request(
        encode_request(FUSE_RENAME, 1, 1, concat(concat(raw(in), bytes_of("a")), bytes_of("b")))));
    REQUIRE_FALSE(
        decode_request(encode_request(FUSE_RENAME, 1, 1, concat(raw(in), bytes_of("a")))));
  }
}

TEST_CASE("fuse::decode_request: extensions are cut off and checked", "[fuse]") {
  auto req = encode_request(FUSE_LOOKUP, 1, 1, bytes_of("name"));
  fuse_in_header h{};
  std::memcpy(&h, req.data(), sizeof(h));
  h.total_extlen = 100; // 800 bytes of extensions in a 5-byte body
  std::memcpy(req.data(), &h, sizeof(h));
  auto r = decode_request(req);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("extension bytes"));
}

TEST_CASE("fuse::decode_request: random bytes never crash the decoder", "[fuse]") {
  // Whatever the bytes, the decoder either refuses them as invalid_argument, or returns a request
  // whose header is the one received and whose views (names, WRITE data) lie inside the buffer.
  std::mt19937 rng(42);
  int decoded = 0;
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::byte> req(rng() % 200);
    for (auto& b : req) {
      b = static_cast<std::byte>(rng());
    }
    if (req.size() >= 40 && rng() % 2 == 0) {
      set_len(req, static_cast<u32>(req.size())); // mostly-consistent headers reach the bodies
      u32 op = rng() % 60;
      std::memcpy(req.data() + 4, &op, 4);
      u16 ext = 0;
      std::memcpy(req.data() + 36, &ext, 2);
    }
    auto r = decode_request(req);
    if (!r) {
      ++refused;
      REQUIRE(r.error().code == Errc::invalid_argument);
      continue;
    }
    ++decoded;
    REQUIRE(req.size() >= k_in_header_size);
    u32 len = 0;
    u32 opcode = 0;
    std::memcpy(&len, req.data(), 4);
    std::memcpy(&opcode, req.data() + 4, 4);
    REQUIRE(r->header.len == req.size());
    REQUIRE(r->header.len == len);
    REQUIRE(r->header.opcode == opcode);
    const auto* lo = reinterpret_cast<const char*>(req.data()) + k_in_header_size;
    const auto* hi = reinterpret_cast<const char*>(req.data()) + req.size();
    auto inside = [&](const void* p, std::size_t n) {
      const auto* c = static_cast<const char*>(p);
      return n == 0 || (c >= lo && c + n <= hi);
    };
    if (const auto* n = std::get_if<NameIn>(&r->body)) {
      REQUIRE(!n->name.empty());
      REQUIRE(inside(n->name.data(), n->name.size() + 1)); // with its NUL
    } else if (const auto* x = std::get_if<GetxattrIn>(&r->body)) {
      REQUIRE(inside(x->name.data(), x->name.size()));
    } else if (const auto* w = std::get_if<WriteIn>(&r->body)) {
      REQUIRE(w->data.size() == w->size);
      REQUIRE(inside(w->data.data(), w->data.size()));
    } else if (const auto* bf = std::get_if<BatchForgetIn>(&r->body)) {
      REQUIRE(bf->items.size() * sizeof(fuse_forget_one) <= req.size());
    }
  }
  // Both paths were taken, many times each.
  CHECK(decoded > 1000);
  CHECK(refused > 1000);
}

TEST_CASE("fuse::Reply: encoding", "[fuse]") {
  SECTION("an error reply is a bare header with the negative errno") {
    auto b = encode_reply(Reply::error(ENOENT), 77);
    REQUIRE(b.size() == 16);
    auto d = decode_reply(b);
    REQUIRE(d);
    CHECK(d->error == -ENOENT);
    CHECK(d->unique == 77);
    CHECK(d->payload.empty());
  }
  SECTION("an error reply drops any payload") {
    Reply r = Reply::error(EIO);
    std::array<std::byte, k_out_header_size> hdr{};
    CHECK(reply_iovecs(r, 1, hdr).size() == 1);
  }
  SECTION("body then zero-copy data pieces") {
    const char data1[] = "0123";
    const char data2[] = "abcdef";
    fuse_write_out w{};
    w.size = 3;
    Reply r = Reply::of(w);
    r.add_data(std::as_bytes(std::span(data1, 4)));
    r.add_data(std::as_bytes(std::span(data2, 6)));
    std::array<std::byte, k_out_header_size> hdr{};
    auto iov = reply_iovecs(r, 5, hdr);
    REQUIRE(iov.size() == 4);
    CHECK(iov[2].iov_base == static_cast<const void*>(data1)); // no copy
    auto b = encode_reply(r, 5);
    REQUIRE(b.size() == 16 + sizeof(w) + 10);
    auto d = decode_reply(b);
    REQUIRE(d);
    CHECK(d->len == b.size());
    CHECK(std::memcmp(d->payload.data() + sizeof(w), "0123abcdef", 10) == 0);
  }
  SECTION("INIT splits the 64-bit flags into flags and flags2") {
    InitOut o;
    o.flags = FUSE_ASYNC_READ | FUSE_INIT_EXT | (u64{1} << 36);
    o.max_write = 1 << 20;
    o.max_pages = 256;
    auto b = encode_reply(init_reply(o), 1);
    REQUIRE(b.size() == 16 + sizeof(fuse_init_out));
    fuse_init_out out{};
    std::memcpy(&out, b.data() + 16, sizeof(out));
    CHECK(out.flags == (FUSE_ASYNC_READ | FUSE_INIT_EXT));
    CHECK(out.flags2 == (1U << 4));
    CHECK(out.max_write == (1U << 20));
    CHECK(out.max_pages == 256);
  }
}

TEST_CASE("fuse::DirBuffer: 8-byte aligned entries, stops when full", "[fuse]") {
  DirBuffer buf(64);
  CHECK(buf.add("a", 2, DT_REG, 1)); // 24 + 1 -> 32
  CHECK(buf.size() == 32);
  CHECK(buf.add("abcdefgh", 3, DT_DIR, 2)); // 24 + 8 -> 32
  CHECK(buf.size() == 64);
  CHECK_FALSE(buf.add("x", 4, DT_REG, 3));
  auto b = buf.take();
  fuse_dirent d{};
  std::memcpy(&d, b.data() + 32, sizeof(d));
  CHECK(d.ino == 3);
  CHECK(d.off == 2);
  CHECK(d.namelen == 8);
  CHECK(d.type == DT_DIR);
  CHECK(static_cast<char>(b[25]) == 0); // padding is zero
  SECTION("plus entries carry the entry_out first") {
    DirBuffer p(1000);
    fuse_entry_out e{};
    e.nodeid = 9;
    e.attr.ino = 9;
    CHECK(p.add_plus("name", e, DT_REG, 1));
    CHECK(p.size() == ((sizeof(fuse_entry_out) + 24 + 4 + 7) & ~std::size_t{7}));
  }
}

TEST_CASE("fuse::ops: the opcode table is consistent", "[fuse]") {
  std::set<std::string_view> names;
  int rows = 0;
  for (u32 op = 0; op < 4096; ++op) {
    const Op* row = find_op(op);
    if (row == nullptr) {
      continue;
    }
    ++rows;
    INFO(op);
    CHECK(row->opcode == op);
    CHECK(row->decode != nullptr);
    CHECK(!row->name.empty());
    CHECK(names.insert(row->name).second); // one row per name
    CHECK(opcode_name(op) == row->name);
  }
  CHECK(rows == 49); // every FUSE_* opcode of <linux/fuse.h> 7.38
  // Never answered: exactly the three the protocol says.
  for (u32 op : {FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT}) {
    CHECK(find_op(op)->answered == Answered::never);
  }
  // The famfs extension's opcodes are numbered per revision and named with it.
  for (const auto& abi : k_famfs_abis) {
    REQUIRE(find_famfs_op(abi, abi.op_get_fmap) != nullptr);
    // A revision that pushes devices has no GET_DAXDEV (0), and opcode 0 is never famfs.
    CHECK((find_famfs_op(abi, abi.op_get_daxdev) != nullptr) == !abi.daxdev_push);
    CHECK(find_famfs_op(abi, 0) == nullptr);
    CHECK(find_famfs_op(abi, abi.op_get_fmap)->name == "GET_FMAP");
    CHECK(find_op(abi.op_get_fmap) == nullptr);
  }
  CHECK(opcode_name(k_famfs_abi_v7.op_get_fmap) == "GET_FMAP(v7)");
  CHECK(opcode_name(k_famfs_abi_rfc2025.op_get_fmap) == "GET_FMAP(rfc2025)");
  CHECK(opcode_name(999) == "op999");
}

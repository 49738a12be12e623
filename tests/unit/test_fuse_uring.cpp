// FUSE over io_uring, the codec (fuse/uring_protocol.hpp): the entry layout and the command area
// pinned byte by byte (fs/fuse/dev_uring.c and include/uapi/linux/fuse.h 7.42), requests the
// kernel splits over an entry's header and payload buffers put back together, replies and commit
// ids written where the kernel reads them, and a fake kernel that serves the same requests through
// both transports and gets the same reply bytes.
#include "core/log_writer.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server.hpp"
#include "fuse/uring_protocol.hpp"
#include "tests/support/fresh_image.hpp"
#include "tests/support/log_entries.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

using namespace famfs;
using namespace famfs::fuse;

namespace {

constexpr std::size_t k_payload = 64 * 1024;

// Little-endian bytes at explicit offsets: the expected layout, independent of our structs.
void put(std::span<std::byte> b, std::size_t off, u64 v, std::size_t width) {
  REQUIRE(off + width <= b.size());
  for (std::size_t i = 0; i < width; ++i) {
    b[off + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
  }
}
u64 get(std::span<const std::byte> b, std::size_t off, std::size_t width) {
  u64 v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    v |= static_cast<u64>(b[off + i]) << (8 * i);
  }
  return v;
}

// What the kernel does with a request (fuse_uring_copy_to_ring): the 40-byte header into in_out,
// the first argument (`arg0` bytes, the per-opcode struct) into op_in at 128, the rest into the
// payload, payload_sz at 272 and the commit id (the unique) at 264.
std::vector<std::byte> kernel_entry(const std::vector<std::byte>& request, std::size_t arg0) {
  std::vector<std::byte> e(uring_entry_bytes(k_payload), std::byte{0xee});
  REQUIRE(request.size() >= 40 + arg0);
  std::memcpy(e.data(), request.data(), 40);
  std::memcpy(e.data() + 128, request.data() + 40, arg0);
  const std::size_t rest = request.size() - 40 - arg0;
  std::memcpy(e.data() + k_uring_payload_at, request.data() + 40 + arg0, rest);
  put(e, 256, 0, 8);                  // flags
  put(e, 264, get(request, 8, 8), 8); // commit_id = unique
  put(e, 272, rest, 4);               // payload_sz
  return e;
}

// What the kernel reads back (fuse_uring_commit): the out header from in_out, payload_sz bytes of
// the payload. As one byte string, the way /dev/fuse would have received it.
std::vector<std::byte> kernel_reply(std::span<const std::byte> e) {
  const auto n = static_cast<std::size_t>(get(e, 272, 4));
  const std::span<const std::byte> payload = e.subspan(k_uring_payload_at, n);
  std::vector<std::byte> r(e.begin(), e.begin() + 16);
  r.insert(r.end(), payload.begin(), payload.end());
  return r;
}

template <typename T> std::vector<std::byte> request_of(u32 op, u64 unique, u64 node, const T& in) {
  return encode_request_of(op, unique, node, in);
}

} // namespace

TEST_CASE("fuse io_uring: the ABI layout, pinned", "[fuse]") {
  CHECK(sizeof(UringReqHeader) == 288);
  CHECK(offsetof(UringReqHeader, op_in) == 128);
  CHECK(offsetof(UringReqHeader, ring_ent_in_out) == 256);
  CHECK(offsetof(UringReqHeader, ring_ent_in_out) + offsetof(UringEntInOut, commit_id) == 264);
  CHECK(offsetof(UringReqHeader, ring_ent_in_out) + offsetof(UringEntInOut, payload_sz) == 272);
  CHECK(k_flags2_over_io_uring == 1U << 9); // FUSE_OVER_IO_URING (1ULL << 41)
  CHECK(k_uring_cmd_register == 1);
  CHECK(k_uring_cmd_commit_and_fetch == 2);
  // The command area of a COMMIT_AND_FETCH for queue 1, request 0x1122334455667788.
  const UringCmdReq c = uring_cmd(1, 0x1122334455667788ULL);
  std::vector<std::byte> got(sizeof(c));
  std::memcpy(got.data(), &c, sizeof(c));
  const std::vector<std::byte> golden = {
      std::byte{0},    std::byte{0},    std::byte{0},    std::byte{0},
      std::byte{0},    std::byte{0},    std::byte{0},    std::byte{0}, // flags
      std::byte{0x88}, std::byte{0x77}, std::byte{0x66}, std::byte{0x55},
      std::byte{0x44}, std::byte{0x33}, std::byte{0x22}, std::byte{0x11}, // commit_id
      std::byte{1},    std::byte{0},                                      // qid
      std::byte{0},    std::byte{0},    std::byte{0},    std::byte{0},
      std::byte{0},    std::byte{0}};
  CHECK(got == golden);
  CHECK(uring_cmd(3, 0).qid == 3);
}

TEST_CASE("fuse io_uring: payload size and queue count", "[fuse]") {
  CHECK(uring_payload_size(1U << 20, 256, 4096) == 1U << 20);
  CHECK(uring_payload_size(4096, 1, 4096) == 8192);             // FUSE_MIN_READ_BUFFER
  CHECK(uring_payload_size(128 * 1024, 64, 65536) == 4U << 20); // max_pages of 64 KiB pages
  CHECK(uring_entry_bytes(k_payload) == 4096 + k_payload);
  CHECK(count_cpu_list("0-1\n") == 2);
  CHECK(count_cpu_list("0") == 1);
  CHECK(count_cpu_list("0,2-5") == 5);
  CHECK(count_cpu_list("0-255\n") == 256);
  CHECK(count_cpu_list("") == 0);
  CHECK(count_cpu_list("x") == 0);
  CHECK(count_cpu_list("3-1") == 0);
  CHECK(count_cpu_list("0-1,") == 2);
  CHECK(count_cpu_list("0;1") == 0);
}

TEST_CASE("fuse io_uring: a request put back together, as /dev/fuse gives it", "[fuse]") {
  SECTION("READ: the header and fuse_read_in, no payload") {
    fuse_read_in in{};
    in.fh = 7;
    in.offset = 0x10000;
    in.size = 4096;
    const auto req = request_of(FUSE_READ, 0x42, 5, in);
    auto e = kernel_entry(req, sizeof(in));
    auto got = uring_request(e);
    REQUIRE(got);
    CHECK(std::vector<std::byte>(got->begin(), got->end()) == req);
    CHECK(uring_commit_id(e) == 0x42);
    // It lies right before the payload buffer, inside the entry.
    CHECK(got->data() + got->size() == e.data() + k_uring_payload_at);
  }
  SECTION("WRITE: fuse_write_in in op_in, the data in the payload, not copied") {
    std::vector<std::byte> data(5000);
    for (std::size_t i = 0; i < data.size(); ++i) {
      data[i] = static_cast<std::byte>(i * 7);
    }
    fuse_write_in in{};
    in.offset = 4096;
    in.size = static_cast<u32>(data.size());
    std::vector<std::byte> body(sizeof(in));
    std::memcpy(body.data(), &in, sizeof(in));
    body.insert(body.end(), data.begin(), data.end());
    const auto req = encode_request(FUSE_WRITE, 0x43, 5, body);
    auto e = kernel_entry(req, sizeof(in));
    auto got = uring_request(e);
    REQUIRE(got);
    CHECK(std::vector<std::byte>(got->begin(), got->end()) == req);
    CHECK(got->data() + 40 + sizeof(in) == e.data() + k_uring_payload_at);
    // Golden: the header's len and opcode, and the first data byte after the 40-byte write_in.
    CHECK(get(*got, 0, 4) == 40 + 40 + 5000);
    CHECK(get(*got, 4, 4) == FUSE_WRITE);
    CHECK(get(*got, 80 + 1, 1) == 7);
  }
  SECTION("LOOKUP: an empty first argument (the kernel's zero arg0), the name in the payload") {
    const std::string name = "file";
    std::vector<std::byte> body(name.size() + 1);
    std::memcpy(body.data(), name.c_str(), name.size() + 1);
    const auto req = encode_request(FUSE_LOOKUP, 0x44, FUSE_ROOT_ID, body);
    auto e = kernel_entry(req, 0);
    auto got = uring_request(e);
    REQUIRE(got);
    CHECK(std::vector<std::byte>(got->begin(), got->end()) == req);
  }
  SECTION("lengths that disagree are refused") {
    fuse_read_in in{};
    auto e = kernel_entry(request_of(FUSE_READ, 1, 5, in), sizeof(in));
    put(e, 272, k_payload + 1, 4); // payload past its buffer
    CHECK(uring_request(e).error().code == Errc::corrupt);
    put(e, 272, 100, 4); // more payload than the header's length
    CHECK(uring_request(e).error().code == Errc::corrupt);
    put(e, 272, 0, 4);
    put(e, 0, 40 + 129, 4); // a first argument longer than op_in
    CHECK(uring_request(e).error().code == Errc::corrupt);
  }
}

TEST_CASE("fuse io_uring: replies where the kernel reads them", "[fuse]") {
  std::vector<std::byte> e(uring_entry_bytes(k_payload), std::byte{0xee});
  SECTION("success: the out header, body then data pieces in the payload, payload_sz") {
    fuse_attr_out body{};
    body.attr.size = 12345;
    Reply r = Reply::of(body);
    const std::vector<std::byte> piece(3000, std::byte{0x5a});
    r.add_data(piece);
    REQUIRE(uring_reply(r, 0x99, e));
    CHECK(get(e, 0, 4) == 16 + sizeof(body) + 3000); // len
    CHECK(get(e, 4, 4) == 0);                        // error
    CHECK(get(e, 8, 8) == 0x99);                     // unique
    CHECK(get(e, 264, 8) == 0x99);                   // commit_id
    CHECK(get(e, 272, 4) == sizeof(body) + 3000);    // payload_sz
    CHECK(kernel_reply(e) == encode_reply(r, 0x99)); // what /dev/fuse would have received
  }
  SECTION("success with no body (RELEASE, FLUSH...): an empty payload") {
    REQUIRE(uring_reply(Reply::ok(), 0x9b, e));
    CHECK(get(e, 0, 4) == 16);
    CHECK(get(e, 4, 4) == 0);
    CHECK(get(e, 272, 4) == 0);
    CHECK(kernel_reply(e) == encode_reply(Reply::ok(), 0x9b));
  }
  SECTION("an error: no payload") {
    REQUIRE(uring_reply(Reply::error(ENOENT), 0x9a, e));
    CHECK(static_cast<std::int32_t>(get(e, 4, 4)) == -ENOENT);
    CHECK(get(e, 272, 4) == 0);
    CHECK(kernel_reply(e) == encode_reply(Reply::error(ENOENT), 0x9a));
  }
  SECTION("a reply larger than the payload buffer is refused") {
    Reply r = Reply::bytes(std::vector<std::byte>(k_payload + 1));
    CHECK(uring_reply(r, 1, e).error().code == Errc::invalid_argument);
  }
}

namespace {

// A file "f" of 64 KiB at the first data unit, its bytes a pattern.
struct UringFixture : test::FreshImage {
  static constexpr u64 k_data = 0xa00000;
  UringFixture() {
    std::vector<log::LogEntry> es{
        test::file_entry("f", 65536, test::simple({{0, k_data, 2ULL << 20}}))};
    auto w = core::LogWriter::open(*img);
    REQUIRE(w);
    REQUIRE(w->append_batch(*img, es));
    std::vector<unsigned char> bytes(65536);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<unsigned char>(i * 13 + 1);
    }
    const int fd = ::open(dev.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(k_data))
          == static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
};

// One request through the /dev/fuse path (bytes in, reply bytes out).
std::vector<std::byte> via_dev_fuse(Server& s, const std::vector<std::byte>& req) {
  const Outcome o = s.handle(req);
  return o.send ? encode_reply(o.reply, o.unique) : std::vector<std::byte>{};
}

// The same request through an io_uring entry, as the queue threads do it.
std::vector<std::byte> via_uring(Server& s, const std::vector<std::byte>& req, std::size_t arg0) {
  auto e = kernel_entry(req, arg0);
  auto bytes = uring_request(e);
  REQUIRE(bytes);
  const Outcome o = s.handle(*bytes);
  REQUIRE(uring_reply(o.reply, uring_commit_id(e), e));
  return kernel_reply(e);
}

} // namespace

TEST_CASE("fuse io_uring: the same requests get the same replies through both transports",
          "[fuse]") {
  UringFixture f;
  ServerOptions o;
  o.io_uring_ready = true;
  // One server (its attributes carry its start time): every request goes through both paths.
  Server classic(*f.img, o);
  Server& ring = classic;
  fuse_init_in init{};
  init.major = 7;
  init.minor = 45;
  init.max_readahead = 128 * 1024;
  init.flags = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_MAX_PAGES | FUSE_INIT_EXT;
  init.flags2 = k_flags2_over_io_uring;
  // INIT always comes through /dev/fuse; it acknowledges io_uring.
  const auto init_reply = via_dev_fuse(classic, request_of(FUSE_INIT, 1, 0, init));
  fuse_init_out out{};
  std::memcpy(&out, init_reply.data() + 16, sizeof(out));
  CHECK((out.flags2 & k_flags2_over_io_uring) != 0);

  std::vector<std::byte> name{std::byte{'f'}, std::byte{0}};
  const auto lookup = encode_request(FUSE_LOOKUP, 2, FUSE_ROOT_ID, name);
  const auto want_lookup = via_dev_fuse(classic, lookup);
  CHECK(via_uring(ring, lookup, 0) == want_lookup);
  fuse_entry_out entry{};
  std::memcpy(&entry, want_lookup.data() + 16, sizeof(entry));
  REQUIRE(entry.nodeid != 0);
  const std::vector<std::byte> missing{std::byte{'x'}, std::byte{0}};
  const auto enoent = encode_request(FUSE_LOOKUP, 3, FUSE_ROOT_ID, missing);
  CHECK(via_uring(ring, enoent, 0) == via_dev_fuse(classic, enoent));
  fuse_getattr_in ga{};
  const auto getattr = request_of(FUSE_GETATTR, 4, entry.nodeid, ga);
  CHECK(via_uring(ring, getattr, sizeof(ga)) == via_dev_fuse(classic, getattr));
  fuse_open_in op{};
  op.flags = O_RDONLY;
  const auto open = request_of(FUSE_OPEN, 5, entry.nodeid, op);
  const auto want_open = via_dev_fuse(classic, open);
  CHECK(via_uring(ring, open, sizeof(op)) == want_open);
  fuse_open_out oo{};
  std::memcpy(&oo, want_open.data() + 16, sizeof(oo));
  fuse_read_in rd{};
  rd.fh = oo.fh;
  rd.offset = 4096;
  rd.size = 20000;
  const auto read = request_of(FUSE_READ, 6, entry.nodeid, rd);
  const auto want_read = via_dev_fuse(classic, read);
  REQUIRE(want_read.size() == 16 + 20000);
  CHECK(static_cast<unsigned char>(want_read[16]) == static_cast<unsigned char>(4096 * 13 + 1));
  CHECK(via_uring(ring, read, sizeof(rd)) == want_read);
}

TEST_CASE("fuse io_uring: INIT acknowledges it only when offered and the rings are ready",
          "[fuse]") {
  UringFixture f;
  fuse_init_in init{};
  init.major = 7;
  init.minor = 45;
  init.flags = FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_INIT_EXT;
  auto flags2_of = [&](bool ready, u32 offered, u32 flags) {
    ServerOptions o;
    o.io_uring_ready = ready;
    Server s(*f.img, o);
    init.flags2 = offered;
    init.flags = flags;
    const auto r = via_dev_fuse(s, request_of(FUSE_INIT, 1, 0, init));
    fuse_init_out out{};
    REQUIRE(r.size() == 16 + sizeof(out));
    std::memcpy(&out, r.data() + 16, sizeof(out));
    return out.flags2 & k_flags2_over_io_uring;
  };
  const u32 ext = FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_INIT_EXT;
  CHECK(flags2_of(true, k_flags2_over_io_uring, ext) != 0);
  CHECK(flags2_of(false, k_flags2_over_io_uring, ext) == 0); // no rings: /dev/fuse
  CHECK(flags2_of(true, 0, ext) == 0);                       // enable_uring=N: not offered
  CHECK(flags2_of(true, k_flags2_over_io_uring, ext & ~FUSE_INIT_EXT) == 0); // flags2 invalid
}

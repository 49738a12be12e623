// libFuzzer target: the FUSE request decoder and the server's dispatch, over hostile request
// streams. Requests go straight into fuse::Server::handle, the entry point that serve() and the
// daemon's workers call for every request they read, over the small famfs of fuse_image.hpp
// (made once per process on a sparse file, which is unlinked at once: nothing is left behind).
//
// Input: [options byte][frame]...
//   options bit 0: a writable mount (WRITE allowed)      bit 1: the device is fmap-capable
//   options bit 2: the rfc2025 famfs numbering, not v7   bit 3: the harness sends a valid INIT
//                                                          (offering everything) before the frames
//   options bit 4: every trace line formatted (level 3, written to /dev/null)
//   options bit 5: no following (follow_interval 0)    bit 6: one entry per follow step
//   frame: [u16 length, little endian][length bytes], handed over as one request, as one read of
//   /dev/fuse would; the header's own length field may say otherwise. The last frame is cut short
//   at the end of the input.
// A fresh server per input handles the frames in order (INIT first or not), until DESTROY.
//
// Every reply is checked: addressed to the request's unique id, a valid errno, the out header's
// length equal to the bytes sent, no more bytes than READ, READDIR(PLUS) or GETXATTR asked for,
// directory entries well formed, and every byte of every iovec read (the sanitizers catch a piece
// outside the device mapping). A broken rule aborts, which libFuzzer reports as a crash.
#include "core/image.hpp"
#include "core/log_writer.hpp"
#include "core/mkfs.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server.hpp"
#include "tests/fuzz/fuse_image.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

using namespace famfs;
using fuse::u32;
using fuse::u64;

namespace {

[[noreturn]] void broken(const char* rule) {
  std::fprintf(stderr, "fuzz_fuse: %s\n", rule);
  std::abort();
}

void require(bool ok, const char* rule) {
  if (!ok) {
    broken(rule);
  }
}

// The image, made on first use.
core::Image& image() {
  static core::Image* img = [] {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string dir = std::string(base) + "/famfs-fuzz-XXXXXX";
    require(::mkdtemp(dir.data()) != nullptr, "setup: mkdtemp");
    const std::string uuid_file = dir + "/system_uuid";
    const std::string dev = dir + "/dev.img";
    core::set_system_uuid_file(uuid_file);
    core::MkfsOptions o;
    o.create_size = fuzz::k_fuse_dev_size;
    require(core::mkfs(dev, o).has_value(), "setup: mkfs");
    auto opened = core::Image::open(dev, core::OpenMode::read_write);
    require(opened.has_value(), "setup: open");
    auto* i = new core::Image(std::move(*opened));
    {
      auto w = core::LogWriter::open(*i);
      require(w.has_value(), "setup: log writer");
      auto entries = fuzz::fuse_image_entries();
      require(w->append_batch(*i, entries).has_value(), "setup: append");
    }
    // The mapping keeps the file alive; its name is needed no more.
    ::unlink(dev.c_str());
    ::unlink(uuid_file.c_str());
    ::rmdir(dir.c_str());
    // Trace lines, when an input asks for them, are formatted and thrown away.
    core::set_trace_file(std::fopen("/dev/null", "we"));
    // The node ids the seeds use.
    fuse::Server s(*i, fuse::ServerOptions{});
    require(s.applied_entries() == fuzz::fuse_image_entries().size(), "setup: replay");
    return i;
  }();
  return *img;
}

template <typename T> T load(std::span<const std::byte> b, std::size_t at = 0) {
  T v{};
  if (b.size() >= at + sizeof(T)) {
    std::memcpy(&v, b.data() + at, sizeof(T));
  }
  return v;
}

// READDIR(PLUS) payload: records that tile it exactly, each name inside its record.
void check_dirents(std::span<const std::byte> p, bool plus) {
  std::size_t at = 0;
  while (at < p.size()) {
    if (plus) {
      require(p.size() - at >= sizeof(fuse_entry_out), "READDIRPLUS: truncated entry");
      at += sizeof(fuse_entry_out);
    }
    require(p.size() - at >= FUSE_NAME_OFFSET, "READDIR: truncated dirent");
    const auto d = load<fuse_dirent>(p, at);
    require(d.namelen > 0, "READDIR: empty name");
    const std::size_t rec = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
    require(p.size() - at >= rec, "READDIR: name past the end of the reply");
    at += rec;
  }
}

void check_reply(std::span<const std::byte> req, const fuse::Outcome& o) {
  if (!o.send) {
    return;
  }
  require(req.size() >= 16, "a reply to a request without a readable unique id");
  require(o.unique == load<u64>(req, 8), "reply addressed to another request");
  const int err = o.reply.error();
  require(err >= 0 && err < 4096, "reply errno out of range");
  std::array<std::byte, fuse::k_out_header_size> hdr{};
  auto iov = fuse::reply_iovecs(o.reply, o.unique, hdr);
  // The payload gathered as writev would gather it: the copy reads every byte (ASan checks
  // where each piece lies).
  std::size_t total = 0;
  std::vector<std::byte> payload;
  payload.reserve(o.reply.payload_size());
  for (std::size_t i = 0; i < iov.size(); ++i) {
    const auto* b = static_cast<const std::byte*>(iov[i].iov_base);
    if (i > 0) {
      payload.insert(payload.end(), b, b + iov[i].iov_len);
    }
    total += iov[i].iov_len;
  }
  const auto out = load<fuse_out_header>(hdr);
  require(out.len == total, "out header length differs from the bytes sent");
  require(out.error == -err, "out header error differs from the reply's");
  require(err == 0 || payload.empty(), "an error reply with a payload");
  if (err != 0) {
    return;
  }
  auto req_ok = fuse::decode_request(req);
  if (!req_ok) {
    broken("success reply to a request that does not decode");
  }
  const u32 op = req_ok->header.opcode;
  if (op == FUSE_READ || op == FUSE_READDIR || op == FUSE_READDIRPLUS) {
    const auto& in = std::get<fuse::ReadIn>(req_ok->body);
    require(payload.size() <= in.size, "more bytes than asked for");
    if (op != FUSE_READ) {
      check_dirents(payload, op == FUSE_READDIRPLUS);
    }
  }
  if ((op == FUSE_GETXATTR || op == FUSE_LISTXATTR)) {
    const auto& in = std::get<fuse::GetxattrIn>(req_ok->body);
    require(in.size == 0 ? payload.size() == sizeof(fuse_getxattr_out) : payload.size() <= in.size,
            "xattr reply size");
  }
}

std::vector<std::byte> valid_init(const fuse::FamfsAbi& abi) {
  fuse_init_in in{};
  in.major = FUSE_KERNEL_VERSION;
  in.minor = 45;
  in.max_readahead = 128 * 1024;
  in.flags = FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_MAX_PAGES | FUSE_BIG_WRITES
             | FUSE_PARALLEL_DIROPS | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO;
  in.flags2 = abi.flags2_dax_fmap | (1U << 4);
  return fuse::encode_request_of(FUSE_INIT, 1, 0, in);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  core::Image& img = image();
  if (size == 0) {
    return 0;
  }
  std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  const auto opts_byte = static_cast<unsigned>(in[0]);
  in = in.subspan(1);
  fuse::ServerOptions opts;
  opts.writable = (opts_byte & 1U) != 0;
  opts.fmap_capable = (opts_byte & 2U) != 0;
  opts.famfs_abi = (opts_byte & 4U) != 0 ? &fuse::k_famfs_abi_rfc2025 : &fuse::k_famfs_abi_v7;
  opts.role = (opts_byte & 1U) != 0 ? core::Role::master : core::Role::client;
  core::set_trace_level((opts_byte & 16U) != 0 ? 3 : 0);
  if ((opts_byte & 32U) != 0) {
    opts.follow_interval = std::chrono::milliseconds(0);
  }
  opts.follow_batch = (opts_byte & 64U) != 0 ? 1 : 0;
  fuse::Server server(img, opts);
  if ((opts_byte & 8U) != 0) {
    auto init = valid_init(*opts.famfs_abi);
    auto o = server.handle(init);
    check_reply(init, o);
    require(server.initialized(), "a valid INIT was refused");
  }
  // One buffer per frame, sized exactly, so that ASan sees any read past the request.
  while (in.size() >= 2) {
    const std::size_t len = std::min<std::size_t>(load<std::uint16_t>(in), in.size() - 2);
    std::vector<std::byte> req(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    in = in.subspan(2 + len);
    fuse::Outcome o = server.handle(req);
    check_reply(req, o);
    if (o.destroy) {
      break;
    }
  }
  (void)server.status_text();
  return 0;
}

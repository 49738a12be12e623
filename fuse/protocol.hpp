// The FUSE wire protocol, pure: decode request bytes into typed requests (every length checked
// before anything is read), encode replies. No I/O, so tests feed it crafted bytes.
#pragma once

#include "fuse/kernel_abi.hpp"
#include "log/result.hpp"

#include <sys/uio.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace famfs::fuse {

using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

inline constexpr std::size_t k_in_header_size = sizeof(fuse_in_header);   // 40
inline constexpr std::size_t k_out_header_size = sizeof(fuse_out_header); // 16

// The 40-byte header every request starts with.
struct InHeader {
  u32 len = 0;
  u32 opcode = 0;
  u64 unique = 0;
  u64 nodeid = 0;
  u32 uid = 0;
  u32 gid = 0;
  u32 pid = 0;
  u16 total_extlen = 0;
};

// ---- Request bodies, one per shape. Views point into the request buffer. ----

struct NoBody {}; // GETATTR before 7.9, STATFS, DESTROY, RELEASEDIR-less ops...
struct Unknown {  // an opcode we do not decode (answered ENOSYS, or a famfs extension opcode)
  std::span<const std::byte> bytes; // its body, as received
};
struct Refused {}; // a namespace change we refuse (CREATE, MKNOD, ...), length-checked
struct InitIn {
  u32 major = 0;
  u32 minor = 0;
  u32 max_readahead = 0;
  u64 flags = 0; // flags | flags2 << 32 (flags2 only when FUSE_INIT_EXT is set)
};
struct NameIn { // LOOKUP: the name, without its NUL
  std::string_view name;
};
struct ForgetIn {
  u64 nlookup = 0;
};
struct ForgetItem {
  u64 nodeid = 0;
  u64 nlookup = 0;
};
struct BatchForgetIn {
  std::vector<ForgetItem> items;
};
struct GetattrIn {
  u32 flags = 0;
  u64 fh = 0;
};
struct SetattrIn {
  u32 valid = 0; // FATTR_* bits
  u64 fh = 0;
  u64 size = 0;
  u64 atime = 0;
  u64 mtime = 0;
  u64 ctime = 0;
  u32 atimensec = 0;
  u32 mtimensec = 0;
  u32 ctimensec = 0;
  u32 mode = 0;
  u32 uid = 0;
  u32 gid = 0;
};
struct OpenIn { // OPEN and OPENDIR
  u32 flags = 0;
  u32 open_flags = 0;
};
struct ReadIn { // READ, READDIR, READDIRPLUS
  u64 fh = 0;
  u64 offset = 0;
  u32 size = 0;
  u32 read_flags = 0;
  u32 flags = 0;
};
struct WriteIn {
  u64 fh = 0;
  u64 offset = 0;
  u32 size = 0;
  u32 write_flags = 0;
  u32 flags = 0;
  std::span<const std::byte> data; // exactly `size` bytes
};
struct ReleaseIn { // RELEASE and RELEASEDIR
  u64 fh = 0;
  u32 flags = 0;
  u32 release_flags = 0;
};
struct FlushIn {
  u64 fh = 0;
};
struct FsyncIn { // FSYNC and FSYNCDIR
  u64 fh = 0;
  u32 fsync_flags = 0;
};
struct GetxattrIn { // GETXATTR (name set) and LISTXATTR (name empty)
  u32 size = 0;
  std::string_view name;
};
struct AccessIn {
  u32 mask = 0;
};
struct InterruptIn {
  u64 unique = 0;
};

using Body = std::variant<NoBody,
                          Unknown,
                          Refused,
                          InitIn,
                          NameIn,
                          ForgetIn,
                          BatchForgetIn,
                          GetattrIn,
                          SetattrIn,
                          OpenIn,
                          ReadIn,
                          WriteIn,
                          ReleaseIn,
                          FlushIn,
                          FsyncIn,
                          GetxattrIn,
                          AccessIn,
                          InterruptIn>;

struct Request {
  InHeader header;
  Body body;
};

// Decodes the header: at least 40 bytes, and `len` equal to the number of bytes received.
// Errc::invalid_argument otherwise.
Result<InHeader> decode_header(std::span<const std::byte> bytes);

// Decodes a whole request with the decoder of its opcode's row in the opcode table (fuse/ops.hpp).
// Opcodes we do not know decode to Unknown (not an error); a body that
// is too short, a name without its NUL, a WRITE whose size disagrees with its data, and the like
// give Errc::invalid_argument (the server answers EINVAL when the header was readable).
Result<Request> decode_request(std::span<const std::byte> bytes);

// The name of an opcode for traces ("LOOKUP", "GET_FMAP(v7)"), or "op<N>"; read from the opcode
// table (fuse/ops.cpp).
std::string opcode_name(u32 opcode);
// The same, as a kernel at protocol 7.`minor` (0: not negotiated yet) means it to a server
// speaking famfs ABI `abi`: the numbers famfs revisions used are named by fuse/kernel_abi.hpp
// famfs_opcode_label.
std::string opcode_name(u32 opcode, u32 minor, const FamfsAbi& abi);

// ---- Replies ----

// A reply: nothing at all (FORGET), an error, or success with a body (bytes we own) followed by
// data pieces that point into memory we do not own (the device mapping, for zero-copy READ).
class Reply {
public:
  // No reply is sent (FORGET, BATCH_FORGET, INTERRUPT).
  static Reply none();
  // An error reply; `errnum` is a positive errno value.
  static Reply error(int errnum);
  // Success with an empty body.
  static Reply ok();
  // Success with `body` copied in (a trivially copyable kernel struct).
  template <typename T> static Reply of(const T& body) {
    static_assert(std::is_trivially_copyable_v<T>);
    Reply r;
    r.m_body.resize(sizeof(T));
    std::memcpy(r.m_body.data(), &body, sizeof(T));
    return r;
  }
  // Success with these bytes as the body.
  static Reply bytes(std::vector<std::byte> body);

  // Appends a zero-copy piece after the body (the memory must outlive the reply's write).
  void add_data(std::span<const std::byte> piece) { m_data.push_back(piece); }

  bool is_none() const { return m_none; }
  int error() const { return m_error; }
  const std::vector<std::byte>& body() const { return m_body; }
  const std::vector<std::span<const std::byte>>& data() const { return m_data; }
  // Bytes after the out header.
  std::size_t payload_size() const;

private:
  bool m_none = false;
  int m_error = 0;
  std::vector<std::byte> m_body;
  std::vector<std::span<const std::byte>> m_data;
};

// Fills `header` with the out header for `unique` and returns the iovecs of the whole reply
// (header, body, data pieces). Error replies carry no payload.
std::vector<iovec>
reply_iovecs(const Reply& r, u64 unique, std::array<std::byte, k_out_header_size>& header);
// The whole reply as one byte string (tests, and small replies).
std::vector<std::byte> encode_reply(const Reply& r, u64 unique);

// What a FUSE_NOTIFY_INVAL_INODE drops: the attributes only (offset -1), or the attributes and
// every cached page of the file (offset 0, length 0: to the end).
enum class Inval { attrs, attrs_and_data };

// A notification (unique 0) telling the kernel to drop what it caches of inode `ino`
// (FUSE_NOTIFY_INVAL_INODE). Header and body, ready to write to /dev/fuse.
std::vector<std::byte> encode_notify_inval_inode(u64 ino, Inval what = Inval::attrs);

// A cache timeout in seconds and nanoseconds.
struct Timeout {
  u64 sec = 0;
  u32 nsec = 0;
  static constexpr Timeout from_ms(u64 ms) {
    return Timeout{ms / 1000, static_cast<u32>((ms % 1000) * 1000000)};
  }
};

// An instant of CLOCK_REALTIME, as FUSE attributes carry it.
struct Time {
  u64 sec = 0;
  u32 nsec = 0;
  friend auto operator<=>(const Time&, const Time&) = default;
  // The instant one nanosecond later.
  Time next() const { return nsec + 1 < 1000000000 ? Time{sec, nsec + 1} : Time{sec + 1, 0}; }
};

// What we report about an inode.
struct Attr {
  u64 ino = 0;
  u64 size = 0;
  u64 blocks = 0; // 512-byte units
  u32 mode = 0;   // with the S_IF* type bits
  u32 nlink = 1;
  u32 uid = 0;
  u32 gid = 0;
  u32 blksize = 0;
  u64 atime = 0;
  u32 atimensec = 0;
  u64 mtime = 0;
  u32 mtimensec = 0;
  u64 ctime = 0;
  u32 ctimensec = 0;
};

fuse_attr to_fuse_attr(const Attr& a);
fuse_entry_out make_entry(const Attr& a, u64 generation, Timeout entry, Timeout attr);
// LOOKUP / READDIRPLUS entry reply.
Reply entry_reply(const Attr& a, u64 generation, Timeout entry, Timeout attr);
// GETATTR / SETATTR reply.
Reply attr_reply(const Attr& a, Timeout attr);

// What the server answers to INIT.
struct InitOut {
  u32 major = k_kernel_major;
  u32 minor = k_kernel_minor;
  u32 max_readahead = 0;
  u64 flags = 0; // low half goes to flags, high half to flags2
  u16 max_background = 0;
  u16 congestion_threshold = 0;
  u32 max_write = 0;
  u32 time_gran = 1;
  u16 max_pages = 0;
};
Reply init_reply(const InitOut& o);

// Builds a READDIR or READDIRPLUS body of at most `max_size` bytes, entries padded to 8 bytes.
class DirBuffer {
public:
  explicit DirBuffer(std::size_t max_size) : m_max(max_size) {}
  // Adds a READDIR entry; false (and nothing added) when it does not fit. `off` is the cookie of
  // the next entry; `type` is the DT_* value.
  bool add(std::string_view name, u64 ino, u32 type, u64 off);
  // Adds a READDIRPLUS entry; false when it does not fit.
  bool add_plus(std::string_view name, const fuse_entry_out& entry, u32 type, u64 off);
  std::size_t size() const { return m_buf.size(); }
  std::vector<std::byte> take() { return std::move(m_buf); }

private:
  std::size_t m_max;
  std::vector<std::byte> m_buf;
};

// Encodes a request (header + body bytes) as the kernel would: the fake kernel of the tests.
std::vector<std::byte> encode_request(u32 opcode,
                                      u64 unique,
                                      u64 nodeid,
                                      std::span<const std::byte> body,
                                      u32 uid = 0,
                                      u32 gid = 0,
                                      u32 pid = 0);
template <typename T>
std::vector<std::byte> encode_request_of(u32 opcode, u64 unique, u64 nodeid, const T& body) {
  static_assert(std::is_trivially_copyable_v<T>);
  return encode_request(opcode, unique, nodeid, std::as_bytes(std::span<const T>(&body, 1)));
}

// Splits a reply from the kernel's side: out header fields and payload (tests).
struct DecodedReply {
  u32 len = 0;
  int error = 0; // as sent (negative errno or 0)
  u64 unique = 0;
  std::span<const std::byte> payload;
};
Result<DecodedReply> decode_reply(std::span<const std::byte> bytes);

} // namespace famfs::fuse

// The request body decoders, one per body shape, pure: each reads the bytes after the header
// (extensions already cut off) through a bounds-checked cursor. The opcode table (fuse/ops.cpp)
// names the decoder of each opcode; nothing else calls these.
#pragma once

#include "fuse/protocol.hpp"

#include <cstddef>
#include <span>

namespace famfs::fuse::decoders {

// A decoder: `body` is the request's bytes after its header, `what` names the opcode for
// messages. Errc::invalid_argument when the body is short or malformed.
using Body = fuse::Body;
using Span = std::span<const std::byte>;

Result<Body> none(Span body, const char* what);    // STATFS, DESTROY, READLINK
Result<Body> unknown(Span body, const char* what); // opcodes we answer ENOSYS: not decoded
Result<Body> init(Span body, const char* what);
Result<Body> name(Span body, const char* what); // LOOKUP
Result<Body> forget(Span body, const char* what);
Result<Body> batch_forget(Span body, const char* what);
Result<Body> getattr(Span body, const char* what);
Result<Body> setattr(Span body, const char* what);
Result<Body> open(Span body, const char* what); // OPEN, OPENDIR
Result<Body> read(Span body, const char* what); // READ, READDIR, READDIRPLUS
Result<Body> write(Span body, const char* what);
Result<Body> release(Span body, const char* what); // RELEASE, RELEASEDIR
Result<Body> flush(Span body, const char* what);
Result<Body> fsync(Span body, const char* what); // FSYNC, FSYNCDIR
Result<Body> getxattr(Span body, const char* what);
Result<Body> listxattr(Span body, const char* what);
Result<Body> access(Span body, const char* what);
Result<Body> interrupt(Span body, const char* what);

// A refused namespace or size change: a fixed struct of `fixed` bytes, then `names`
// NUL-terminated names; checked, then decoded as Refused.
Result<Body> refused_shape(Span body, const char* what, std::size_t fixed, int names);
template <std::size_t Fixed, int Names> Result<Body> refused(Span body, const char* what) {
  return refused_shape(body, what, Fixed, Names);
}

} // namespace famfs::fuse::decoders

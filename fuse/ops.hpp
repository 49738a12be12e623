// The opcode table: one row per FUSE opcode we know, as libfuse's fuse_ll_ops[]: its name (for
// traces), its body decoder, its handler and whether it is ever answered. Decoding
// (decode_request), tracing (opcode_name) and dispatch (Server::handle) all read this row; no
// other list of opcodes exists. The famfs extension's two opcodes are numbered by the kernel ABI
// revision in use (kernel_abi.hpp), so they have their own small table.
#pragma once

#include "fuse/kernel_abi.hpp"
#include "fuse/protocol.hpp"

#include <span>
#include <string_view>

namespace famfs::fuse {

class Handlers;
struct Outcome;

// Decodes a request body (the bytes after the header, extensions cut off); `what` is the
// opcode's name for messages. See fuse/decoders.hpp.
using DecodeFn = Result<Body> (*)(std::span<const std::byte> body, const char* what);
// Handles a decoded request (fuse/handlers.hpp).
using HandleFn = Outcome (Handlers::*)(const Request&);

// Whether an opcode gets a reply. FORGET, BATCH_FORGET and INTERRUPT never do, not even an
// error reply to a malformed or failed request.
enum class Answered { always, never };

struct Op {
  u32 opcode = 0;
  std::string_view name;     // "LOOKUP"
  DecodeFn decode = nullptr; // never null
  HandleFn handle = nullptr; // nullptr: not implemented, answered ENOSYS
  Answered answered = Answered::always;
};

// The row of a standard opcode, or nullptr for an opcode we do not know.
const Op* find_op(u32 opcode);

// A famfs extension opcode: its number is a field of the ABI revision.
struct FamfsOp {
  u32 FamfsAbi::*opcode;
  std::string_view name; // "GET_FMAP"; traces add the revision: "GET_FMAP(v7)"
  HandleFn handle;
};
// The famfs extension's row of `opcode` under `abi`, or nullptr. Their requests reach the
// handler undecoded (Unknown's bytes): GET_FMAP has a body only under a size-probing revision.
const FamfsOp* find_famfs_op(const FamfsAbi& abi, u32 opcode);

} // namespace famfs::fuse

// The FUSE-over-io_uring codec, pure (no io_uring, no descriptors): how one ring entry's memory
// is laid out, how a request the kernel put there becomes the same bytes a read(2) of /dev/fuse
// returns (so Server::handle serves both transports), and how a reply goes back into it. The
// ABI structs are in fuse/kernel_abi.hpp; fuse/uring_channel.hpp drives the rings.
//
// One entry's memory, `entry_bytes(payload)` long:
//   [0, 288)                    the header buffer (UringReqHeader), registered as iovec 0
//   [288, k_uring_payload_at)   headroom: the request's header and first argument are copied
//                               here, right before the payload, to make one contiguous request
//   [k_uring_payload_at, ...)   the payload buffer, registered as iovec 1 (page aligned)
#pragma once

#include "fuse/kernel_abi.hpp"
#include "fuse/protocol.hpp"
#include "log/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace famfs::fuse {

inline constexpr std::size_t k_uring_payload_at = 4096;

// Bytes of one entry whose payload buffer holds `payload` bytes.
constexpr std::size_t uring_entry_bytes(std::size_t payload) {
  return k_uring_payload_at + payload;
}

// The payload buffer the kernel requires of every entry: max(8 KiB, max_write, max_pages pages)
// (fs/fuse/dev_uring.c fuse_uring_create), for what we negotiate at INIT.
std::size_t uring_payload_size(std::uint32_t max_write, std::uint32_t max_pages, long page_size);

// The request in `entry` (the kernel filled its header buffer and payload): its header and first
// argument are copied into the headroom, and the result is the request as /dev/fuse would give
// it (header, body, data), pointing into `entry`. Errc::corrupt when the header's length and the
// payload size disagree (an argument longer than op_in, a payload past its buffer).
Result<std::span<const std::byte>> uring_request(std::span<std::byte> entry);

// The commit id (the request's unique) the kernel wrote into `entry`.
std::uint64_t uring_commit_id(std::span<const std::byte> entry);

// Writes the reply `r` to request `unique` into `entry`: the fuse_out_header into in_out, the
// body and data pieces into the payload, payload_sz into ring_ent_in_out. Data pieces (device
// memory) are copied under the media guard: Errc::media when one faults, and then nothing is
// promised about the payload (the caller replies EIO instead). Errc::invalid_argument when the
// reply does not fit the payload buffer.
Result<void> uring_reply(const Reply& r, std::uint64_t unique, std::span<std::byte> entry);

// The command area of a REGISTER (commit_id 0) or COMMIT_AND_FETCH SQE for queue `qid`.
UringCmdReq uring_cmd(std::uint16_t qid, std::uint64_t commit_id);

// The number of queues the kernel makes: the possible CPUs, counted in the text of
// /sys/devices/system/cpu/possible ("0-3", "0,2-5\n"). 0 when the text does not parse.
unsigned count_cpu_list(std::string_view text);

} // namespace famfs::fuse

// The FUSE-over-io_uring transport (kernel 6.14+, fuse module parameter enable_uring=Y): one
// SQE128 ring per kernel queue (one queue per possible CPU), each served by a thread pinned to
// its CPU, each with a few entries whose buffers the kernel fills with requests and reads
// replies from (fuse/uring_protocol.hpp). The kernel puts a request on the queue of the CPU
// that issued it, so the reader and the thread that serves it share a CPU: no wakeup crosses
// CPUs, and each round (the replies committed, the next requests fetched) is one system call. It
// hands the server the same request bytes as /dev/fuse and takes the same Outcome back, so handlers
// never know which transport carried a request. Built only with liburing (CMake FAMFS_IO_URING);
// without it prepare() says so and the server stays on /dev/fuse.
#pragma once

#include "fuse/handlers.hpp"
#include "log/result.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

namespace famfs::fuse {

// Where the kernel says whether FUSE over io_uring is on (root may write Y to it).
inline constexpr const char* k_enable_uring_param = "/sys/module/fuse/parameters/enable_uring";
// Whether this kernel has FUSE over io_uring (the parameter exists) and whether it is on.
enum class UringSwitch { absent, off, on };
UringSwitch uring_switch(const char* param = k_enable_uring_param);

// Whether this build carries the io_uring transport (liburing was found at build time).
bool uring_built();

// What the transport calls for each request: the request's bytes, as /dev/fuse would give them;
// the reply to send. And what it calls when a reply's data (device memory) could not be copied
// (the request is answered EIO instead).
using ServeFn = std::function<Outcome(std::span<const std::byte>)>;
using FaultFn = std::function<void(const Outcome&, const Error&)>;
// What it calls when the kernel refused a REGISTER: it then sends every request through /dev/fuse.
using RefusedFn = std::function<void()>;

class UringChannel {
public:
  // Sets up one ring per kernel queue over the /dev/fuse descriptor `fuse_fd`, before INIT is
  // answered (a server that acknowledges FUSE_OVER_IO_URING and then cannot register leaves every
  // request waiting). Errc::unsupported when this build has no liburing, io_uring is disabled
  // (/proc/sys/kernel/io_uring_disabled) or the kernel refuses a SQE128 ring.
  static Result<std::unique_ptr<UringChannel>> prepare(int fuse_fd);
  UringChannel(const UringChannel&) = delete;
  UringChannel& operator=(const UringChannel&) = delete;
  ~UringChannel(); // stop()

  // Once INIT acknowledged FUSE_OVER_IO_URING: gives every entry a payload buffer of `payload`
  // bytes (uring_payload_size), registers the entries and serves each queue on its own thread.
  // On an error nothing serves, and the kernel is told to drop io_uring for this connection (a
  // REGISTER it refuses), so requests keep coming through /dev/fuse.
  Result<void> start(std::size_t payload, ServeFn serve, FaultFn fault, RefusedFn refused);
  // Waits for the queue threads. They end by themselves when the connection ends (the kernel
  // completes every entry with ENOTCONN); stop() also wakes them (an eventfd each ring polls).
  void stop();

  unsigned queues() const;

  struct Impl;

private:
  explicit UringChannel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

} // namespace famfs::fuse

// The thin server: dispatch through the opcode table (with a last line of defence against a
// handler that throws), the serving loops, the worker threads and the stop signals. The lock
// order is at the top of server.hpp.
#include "fuse/server.hpp"

#include "core/media_guard.hpp"
#include "core/trace.hpp"
#include "fuse/ops.hpp"
#include "fuse/uring_protocol.hpp"

#include <fmt/format.h>

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>
#include <thread>
#include <vector>

namespace famfs::fuse {

namespace {

// Traces a request that failed outside its reply (malformed, or its handler threw). Tracing
// allocates, and may be what failed, so it never throws.
void trace_failed(std::span<const std::byte> bytes,
                  std::string_view kind,
                  std::string_view what,
                  std::string_view then = {}) noexcept {
  try {
    fuse_in_header h{};
    std::memcpy(&h, bytes.data(), std::min(bytes.size(), sizeof(h)));
    if (bytes.size() < 16) {
      FAMFS_TRACE(1, "dropping a {}-byte request: {}", bytes.size(), what);
    } else {
      FAMFS_TRACE(1, "{} {}: {}{}", kind, h.unique, what, then);
    }
  } catch (...) { // NOLINT(bugprone-empty-catch): nothing is left to tell it with
  }
}

} // namespace

Server::Server(core::Image& img, ServerOptions opts)
    : m_opts(std::move(opts)), m_log(img, m_opts), m_handlers(img, m_opts, m_log, m_inodes) {
  if (m_opts.famfs_abi == nullptr) {
    m_opts.famfs_abi = &k_default_famfs_abi;
  }
}

Server::~Server() = default;

// ---- Dispatch ----

Outcome Server::handle(std::span<const std::byte> bytes) {
  try {
    auto req = decode_request(bytes);
    if (!req) {
      trace_failed(bytes, "malformed request", req.error().message);
      return answer_failed(bytes, EINVAL);
    }
    Outcome o = dispatch(*req);
    if (o.destroy) {
      m_done.store(true);
    }
    return o;
  } catch (const std::bad_alloc&) {
    // As libfuse's passthrough_hp does: the request fails, the daemon goes on.
    trace_failed(bytes, "request", "out of memory; replying ENOMEM");
    return answer_failed(bytes, ENOMEM);
  } catch (const std::exception& e) {
    trace_failed(bytes, "request", e.what(), "; replying EIO");
    return answer_failed(bytes, EIO);
  } catch (...) {
    trace_failed(bytes, "request", "unknown exception; replying EIO");
    return answer_failed(bytes, EIO);
  }
}

Outcome Server::dispatch(const Request& r) {
  const u32 op = r.header.opcode;
  // Named as this kernel's protocol minor means it (53 is COPY_FILE_RANGE_64 from 7.45).
  auto name = [&] { return opcode_name(op, m_handlers.minor(), *m_opts.famfs_abi); };
  FAMFS_TRACE(3, "{} unique {} node {} ({} bytes)", name(), r.header.unique, r.header.nodeid,
              r.header.len);
  if (!m_handlers.initialized() && op != FUSE_INIT) {
    return error_to(r, EIO);
  }
  HandleFn handler = nullptr;
  if (const FamfsOp* famfs = find_famfs_op(*m_opts.famfs_abi, op)) {
    // The famfs kernel extension: served only when negotiated at INIT; a kernel that sends
    // these anyway gets ENOSYS.
    if (!m_handlers.famfs_negotiated()) {
      FAMFS_TRACE(2, "{}: famfs extension not negotiated", name());
      return error_to(r, ENOSYS);
    }
    handler = famfs->handle;
  } else if (const Op* row = find_op(op)) {
    handler = row->handle;
  }
  if (handler == nullptr) {
    FAMFS_TRACE(2, "{}: not implemented", name());
    return error_to(r, ENOSYS);
  }
  if (m_opts.before_handler) {
    m_opts.before_handler(r);
  }
  Outcome o = (m_handlers.*handler)(r);
  if (o.send && o.reply.error() != 0) {
    FAMFS_TRACE(3, "{} unique {}: error {}", name(), r.header.unique, o.reply.error());
  }
  return o;
}

Outcome Server::answer_failed(std::span<const std::byte> bytes, int err) const {
  // Answer when we can address the reply: the unique id sits at bytes [8, 16).
  if (bytes.size() < 16) {
    return no_reply();
  }
  fuse_in_header h{};
  std::memcpy(&h, bytes.data(), std::min(bytes.size(), sizeof(h)));
  if (bytes.size() >= k_in_header_size) {
    const Op* op = find_op(h.opcode);
    if (op != nullptr && op->answered == Answered::never) {
      return no_reply(); // never answered, not even when malformed
    }
  }
  Outcome o;
  o.unique = h.unique;
  o.reply = Reply::error(err);
  return o;
}

// ---- Replies ----

Result<void> Server::send(int fd, const Outcome& o) {
  if (!o.send) {
    return {};
  }
  std::array<std::byte, k_out_header_size> hdr{};
  auto iov = reply_iovecs(o.reply, o.unique, hdr);
  auto w = write_reply(fd, iov);
  if (!w && w.error().sys_errno == EFAULT && !o.reply.data().empty()) {
    reply_fault(fd, o);
    return {};
  }
  return w;
}

void Server::reply_fault(int fd, const Outcome& o) {
  // The kernel could not read a zero-copy piece of a READ reply: device memory under it is
  // gone (the kernel's copy gets EFAULT where a user access would get SIGBUS). Find which
  // piece, under a guard, for the trace. The kernel has already failed the request with EIO;
  // our own EIO reply is for a kernel that did not, and is ignored (ENOENT) otherwise.
  std::string what = "a device page that cannot be read";
  for (const auto& piece : o.reply.data()) {
    if (auto probe = core::guarded_probe(piece.data(), piece.size()); !probe) {
      what = probe.error().message;
      break;
    }
  }
  media_fault(o.unique, what);
  std::array<std::byte, k_out_header_size> hdr{};
  auto iov = reply_iovecs(Reply::error(EIO), o.unique, hdr);
  if (auto w = write_reply(fd, iov); !w) {
    FAMFS_TRACE(2, "EIO reply to request {}: {}", o.unique, w.error().message);
  }
}

void Server::media_fault(u64 unique, std::string_view what) {
  m_log.health().count_media_error();
  FAMFS_TRACE(0, "READ reply to request {}: {}; replying EIO", unique, what);
}

// ---- Loops ----

Result<void> Server::serve(int fd) {
  std::vector<std::byte> buf(k_request_buffer);
  for (;;) {
    FAMFS_TRY_ASSIGN(std::size_t n, read_request(fd, buf));
    if (n == 0) {
      return {};
    }
    Outcome o = handle(std::span<const std::byte>(buf.data(), n));
    if (auto w = send(fd, o); !w) {
      FAMFS_TRACE(1, "reply to request {}: {}", o.unique, w.error().message);
    }
    if (o.destroy) {
      return {};
    }
  }
}

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Blocks the stop signals for its lifetime, so that every thread started meanwhile inherits the
// mask and only the housekeeping thread receives them (sigtimedwait).
class BlockStopSignals {
public:
  BlockStopSignals() {
    const sigset_t set = stop_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, &m_old);
  }
  ~BlockStopSignals() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
  BlockStopSignals(const BlockStopSignals&) = delete;
  BlockStopSignals& operator=(const BlockStopSignals&) = delete;

private:
  sigset_t m_old{};
};

// A stop signal: unmount, lazily if busy (the daemon then serves open files until they close).
void unmount_on_signal(Channel& ch, int sig) {
  FAMFS_TRACE(1, "signal {}: unmounting {}", sig, ch.mountpoint());
  auto r = unmount(ch.mountpoint(), Lazy::no);
  if (!r && r.error().code == Errc::busy) {
    FAMFS_TRACE(1, "{}; detaching it (the daemon serves open files until they close)",
                r.error().message);
    r = unmount(ch.mountpoint(), Lazy::yes);
  }
  if (!r && r.error().sys_errno == EINVAL) {
    FAMFS_TRACE(2, "{} was already unmounted", ch.mountpoint());
  } else if (!r) {
    FAMFS_TRACE(1, "unmount: {}", r.error().message);
  }
}

// One descriptor per worker: clones of the channel's, or the channel's own when cloning fails
// (workers can share one; cloning only spreads the kernel's queue locking). `owned` keeps the
// clones open.
std::vector<int> worker_fds(Channel& ch, unsigned n, std::vector<core::UniqueFd>& owned) {
  std::vector<int> fds{ch.fd()};
  for (unsigned i = 1; i < n; ++i) {
    auto c = ch.clone();
    if (!c) {
      FAMFS_TRACE(1, "worker {}: {}; sharing the main descriptor", i, c.error().message);
      fds.push_back(ch.fd());
      continue;
    }
    fds.push_back(c->get());
    owned.push_back(std::move(*c));
  }
  return fds;
}

} // namespace

void Server::housekeeping(Channel& ch) {
  const sigset_t set = stop_signals();
  const bool following = m_opts.follow_interval.count() > 0;
  const auto ms = following ? m_opts.follow_interval.count() : k_clobber_check_interval.count();
  const timespec tick{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1000000)};
  while (!m_done.load()) {
    if (int sig = ::sigtimedwait(&set, nullptr, &tick); sig > 0) {
      unmount_on_signal(ch, sig);
    } else if (following) {
      m_log.step(RetryBadEntry::yes);
    } else {
      m_log.check();
    }
  }
}

std::unique_ptr<UringChannel> Server::prepare_uring(Channel& ch,
                                                    std::span<const std::byte> init) {
  auto req = decode_request(init);
  const auto* in = req ? std::get_if<InitIn>(&req->body) : nullptr;
  if (in == nullptr || ((in->flags >> 32) & k_flags2_over_io_uring) == 0) {
    return nullptr; // not INIT, or the kernel does not offer io_uring (enable_uring=N)
  }
  if (m_opts.transport != Transport::automatic) {
    FAMFS_TRACE(1, "INIT: the kernel offers io_uring; serving through /dev/fuse as asked");
    return nullptr;
  }
  auto uring = UringChannel::prepare(ch.fd());
  if (!uring) {
    FAMFS_TRACE(1, "INIT: the kernel offers io_uring, but {}; serving through /dev/fuse",
                uring.error().message);
    return nullptr;
  }
  m_opts.io_uring_ready = true;
  return std::move(*uring);
}

bool Server::start_uring(UringChannel& uring, const fuse_init_out& init) {
  const std::size_t payload =
      uring_payload_size(init.max_write, init.max_pages, ::sysconf(_SC_PAGESIZE));
  m_handlers.set_io_uring(true);
  auto started = uring.start(
      payload, [this](std::span<const std::byte> bytes) { return handle(bytes); },
      [this](const Outcome& o, const Error& e) { media_fault(o.unique, e.message); },
      [this] {
        FAMFS_TRACE(1, "io_uring: the kernel refused a queue; it serves through /dev/fuse");
        m_handlers.set_io_uring(false);
      });
  if (!started) {
    FAMFS_TRACE(1, "io_uring: {}; serving through /dev/fuse", started.error().message);
    m_handlers.set_io_uring(false);
    return false;
  }
  FAMFS_TRACE(1, "io_uring: {} queues, {}-byte payloads", uring.queues(), payload);
  return true;
}

Result<void> Server::answer_init(Channel& ch, std::unique_ptr<UringChannel>& uring) {
  std::vector<std::byte> buf(k_request_buffer);
  while (!m_handlers.initialized()) {
    auto n = read_request(ch.fd(), buf);
    if (!n) {
      return with_context(std::move(n).error(), "waiting for FUSE INIT");
    }
    if (*n == 0) {
      return fail(Errc::io, "{}: the kernel closed the connection before INIT", ch.mountpoint());
    }
    const std::span<const std::byte> bytes(buf.data(), *n);
    if (!uring) {
      uring = prepare_uring(ch, bytes);
    }
    const Outcome o = handle(bytes);
    FAMFS_TRY(send(ch.fd(), o));
    fuse_init_out init{};
    if (m_handlers.initialized() && uring && o.reply.body().size() >= sizeof(init)) {
      std::memcpy(&init, o.reply.body().data(), sizeof(init));
      if ((init.flags2 & k_flags2_over_io_uring) == 0 || !start_uring(*uring, init)) {
        uring.reset();
      }
    }
  }
  return {};
}

Result<void> Server::report_ready(Channel& ch, const std::function<void()>& on_ready) {
  if (m_opts.famfs_mode_meta) {
    if (auto r = m_log.switch_metadata(*m_opts.famfs_mode_meta); !r) {
      FAMFS_TRACE(1, "{}; detaching {}", r.error().message, ch.mountpoint());
      if (!ch.mountpoint().empty()) {
        (void)unmount(ch.mountpoint(), Lazy::yes); // the workers then see the connection end
      }
      return r;
    }
  }
  if (on_ready) {
    on_ready();
  }
  return {};
}

Result<void> Server::run(Channel& ch, const std::function<void()>& on_ready) {
  BlockStopSignals blocked;
  std::unique_ptr<UringChannel> uring;
  FAMFS_TRY(answer_init(ch, uring));
  if (m_opts.famfs_mode_meta && !famfs_negotiated()) {
    return fail(Errc::unsupported, "{}", m_handlers.famfs_refusal());
  }
  set_notify_fd(ch.fd());
  // Page-cache mode needs a second worker to serve READs while one waits in an invalidation.
  const unsigned n = std::max(m_opts.page_cache ? 2U : 1U,
                              m_opts.threads != 0
                                  ? m_opts.threads
                                  : std::clamp(std::thread::hardware_concurrency(), 2U, 16U));
  m_workers = n;
  m_handlers.set_workers(n);
  std::vector<core::UniqueFd> owned;
  const std::vector<int> fds = worker_fds(ch, n, owned);
  FAMFS_TRACE(1, "serving {} with {} workers", ch.mountpoint(), n);
  std::thread keeper(&Server::housekeeping, this, std::ref(ch));
  std::vector<std::thread> workers;
  workers.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    workers.emplace_back([this, fd = fds[i], i] {
      if (auto r = serve(fd); !r) {
        FAMFS_TRACE(1, "worker {}: {}", i, r.error().message);
      }
    });
  }
  // Ready once the workers serve: a famfs-mode mount's switch to its .meta files needs them.
  Result<void> outcome = report_ready(ch, on_ready);
  for (auto& t : workers) {
    t.join();
  }
  if (uring) {
    uring->stop(); // its queues ended with the connection; this waits for their threads
  }
  set_notify_fd(-1); // the connection is gone
  m_done.store(true);
  keeper.join();
  FAMFS_TRACE(1, "{}: unmounted; server stopped", ch.mountpoint());
  return outcome;
}

} // namespace famfs::fuse

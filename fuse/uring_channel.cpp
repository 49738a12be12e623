// The io_uring transport's rings and queue threads. The codec (entry layout, request and reply
// bytes) is fuse/uring_protocol.cpp; this file only moves entries between the kernel and the
// server. Compiled with or without liburing (FAMFS_HAVE_LIBURING, set by fuse/CMakeLists.txt).
#include "fuse/uring_channel.hpp"

#include "core/trace.hpp"
#include "fuse/uring_protocol.hpp"

#include <fstream>

#if FAMFS_HAVE_LIBURING
#include "core/unique_fd.hpp"

#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>
#endif

namespace famfs::fuse {

UringSwitch uring_switch(const char* param) {
  std::ifstream in(param);
  if (!in) {
    return UringSwitch::absent;
  }
  char c = 0;
  in >> c;
  return c == 'Y' || c == 'y' || c == '1' ? UringSwitch::on : UringSwitch::off;
}

#if !FAMFS_HAVE_LIBURING

bool uring_built() {
  return false;
}

struct UringChannel::Impl {};

Result<std::unique_ptr<UringChannel>> UringChannel::prepare(int /*fuse_fd*/) {
  return fail(Errc::unsupported, "this famfs was built without liburing");
}
UringChannel::UringChannel(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
UringChannel::~UringChannel() = default;
Result<void> UringChannel::start(std::size_t /*payload*/,
                                 ServeFn /*serve*/,
                                 FaultFn /*fault*/,
                                 RefusedFn /*refused*/) {
  return fail(Errc::unsupported, "this famfs was built without liburing");
}
void UringChannel::stop() {}
unsigned UringChannel::queues() const {
  return 0;
}

#else

bool uring_built() {
  return true;
}

namespace {

// Entries per queue: requests the kernel can hand one queue's thread at once.
constexpr unsigned k_depth = 4;
// The user_data of each queue's poll of the stop eventfd (entries use their index).
constexpr std::uint64_t k_stop_tag = ~std::uint64_t{0};
// Each queue's ring has one issuer, its thread, and the kernel runs the work that copies a new
// request into an entry only when that thread waits for completions (DEFER_TASKRUN): the thread
// is never interrupted while it serves. Of the three modes measured (default, COOP_TASKRUN,
// this), this one gave the shortest 4 KiB read round trip. Created disabled, so that the thread
// that enables it becomes its issuer.
constexpr unsigned k_ring_flags =
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
// How often a REGISTER the kernel answers EAGAIN (INIT not processed yet) is retried, 10 ms apart.
constexpr int k_register_retries = 100;

// Anonymous memory, unmapped on destruction; pages cost nothing until touched.
class AnonMemory {
public:
  AnonMemory() = default;
  AnonMemory(AnonMemory&& o) noexcept
      : m_p(std::exchange(o.m_p, nullptr)), m_len(std::exchange(o.m_len, 0)) {}
  AnonMemory& operator=(AnonMemory&& o) noexcept {
    std::swap(m_p, o.m_p);
    std::swap(m_len, o.m_len);
    return *this;
  }
  AnonMemory(const AnonMemory&) = delete;
  AnonMemory& operator=(const AnonMemory&) = delete;
  ~AnonMemory() {
    if (m_p != nullptr) {
      ::munmap(m_p, m_len);
    }
  }
  static Result<AnonMemory> map(std::size_t len) {
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return sys_error(errno, fmt::format("io_uring buffers ({} bytes)", len));
    }
    AnonMemory m;
    m.m_p = static_cast<std::byte*>(p);
    m.m_len = len;
    return m;
  }
  std::byte* data() const { return m_p; }

private:
  std::byte* m_p = nullptr;
  std::size_t m_len = 0;
};

// The kernel's queue count: num_possible_cpus().
unsigned possible_cpus() {
  std::ifstream in("/sys/devices/system/cpu/possible");
  std::stringstream text;
  text << in.rdbuf();
  const unsigned n = count_cpu_list(text.str());
  return n != 0 ? n : static_cast<unsigned>(::get_nprocs_conf());
}

struct Queue {
  explicit Queue(unsigned id) : qid(id) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  ~Queue() {
    if (ring_ok) {
      ::io_uring_queue_exit(&ring);
    }
  }
  std::span<std::byte> entry(unsigned i) const {
    return {mem.data() + static_cast<std::size_t>(i) * entry_size, entry_size};
  }

  unsigned qid;
  io_uring ring{};
  bool ring_ok = false;
  bool disabled = false; // created IORING_SETUP_R_DISABLED: its thread enables it (single issuer)
  bool fixed_fd = false; // /dev/fuse is registered file 0 of the ring
  AnonMemory mem;
  std::size_t entry_size = 0;
  std::vector<iovec> iovs;   // header and payload of each entry
  std::vector<bool> fetched; // the entry got a request once (so its REGISTER succeeded)
  std::thread thread;
};

// Enables a ring created disabled, on the calling thread (liburing 2.3 does not export
// io_uring_enable_rings).
void enable(Queue& q) {
  if (q.disabled) {
    ::io_uring_register(static_cast<unsigned>(q.ring.ring_fd), IORING_REGISTER_ENABLE_RINGS,
                        nullptr, 0);
    q.disabled = false;
  }
}

} // namespace

struct UringChannel::Impl {
  int fd = -1;
  core::UniqueFd stop_fd; // an eventfd every queue polls; written by stop()
  std::vector<std::unique_ptr<Queue>> queues;
  ServeFn serve;
  FaultFn fault;
  RefusedFn refused;

  io_uring_sqe* command(Queue& q, std::uint32_t op, unsigned i);
  Result<void> submit(Queue& q, unsigned i, std::uint32_t op, std::uint64_t commit_id);
  void setup(Queue& q);
  void run(Queue& q);
  bool on_completion(Queue& q, const io_uring_cqe& cqe, int& retries);
  void serve_entry(Queue& q, unsigned i);
  void decline();
};

// A zeroed URING_CMD SQE of `op` on /dev/fuse for entry `i`; null when the ring is full.
io_uring_sqe* UringChannel::Impl::command(Queue& q, std::uint32_t op, unsigned i) {
  io_uring_sqe* sqe = ::io_uring_get_sqe(&q.ring);
  if (sqe == nullptr) {
    return nullptr;
  }
  std::memset(sqe, 0, 2 * sizeof(*sqe)); // SQE128: the command area is the second half
  sqe->opcode = IORING_OP_URING_CMD;
  sqe->fd = q.fixed_fd ? 0 : fd;
  sqe->flags = q.fixed_fd ? IOSQE_FIXED_FILE : 0;
  sqe->cmd_op = op;
  sqe->user_data = i;
  return sqe;
}

Result<void> UringChannel::Impl::submit(Queue& q, unsigned i, std::uint32_t op, std::uint64_t id) {
  io_uring_sqe* sqe = command(q, op, i);
  if (sqe == nullptr) {
    return fail(Errc::internal, "io_uring queue {}: no free submission entry", q.qid);
  }
  if (op == k_uring_cmd_register) {
    sqe->addr = reinterpret_cast<std::uint64_t>(&q.iovs[2 * static_cast<std::size_t>(i)]);
    sqe->len = 2;
  }
  const UringCmdReq cmd = uring_cmd(static_cast<std::uint16_t>(q.qid), id);
  std::memcpy(sqe->cmd, &cmd, sizeof(cmd));
  return {};
}

void UringChannel::Impl::serve_entry(Queue& q, unsigned i) {
  const std::span<std::byte> entry = q.entry(i);
  const std::uint64_t id = uring_commit_id(entry);
  Outcome o;
  if (auto req = uring_request(entry); !req) {
    FAMFS_TRACE(1, "io_uring queue {}: {}; replying EIO", q.qid, req.error().message);
    o.reply = Reply::error(EIO);
  } else {
    o = serve(*req);
  }
  if (!o.send) {
    o.reply = Reply::error(EIO); // the kernel waits for every request it sent through a ring
  }
  if (auto w = uring_reply(o.reply, id, entry); !w) {
    fault(o, w.error());
    (void)uring_reply(Reply::error(EIO), id, entry); // an error reply always fits
  }
  if (auto s = submit(q, i, k_uring_cmd_commit_and_fetch, id); !s) {
    FAMFS_TRACE(0, "{}", s.error().message);
  }
}

// One completion: a request in entry user_data, or the end of that entry (an error). False when
// the entry is done for.
bool UringChannel::Impl::on_completion(Queue& q, const io_uring_cqe& cqe, int& retries) {
  const auto i = static_cast<unsigned>(cqe.user_data);
  if (cqe.res == -EAGAIN && !q.fetched[i] && ++retries < k_register_retries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return submit(q, i, k_uring_cmd_register, 0).has_value();
  }
  if (cqe.res < 0) {
    const int err = -cqe.res;
    if (err != ENOTCONN && err != ECONNABORTED && !q.fetched[i]) {
      refused(); // the kernel dropped io_uring for this connection
    }
    FAMFS_TRACE(err == ENOTCONN || err == ECONNABORTED ? 2 : 1, "io_uring queue {} entry {}: {}",
                q.qid, i, std::strerror(err));
    return false;
  }
  q.fetched[i] = true;
  serve_entry(q, i);
  return true;
}

// On the queue's own thread: its CPU, the ring enabled (a single-issuer ring belongs to the
// thread that enables it), /dev/fuse registered as a fixed file (no file lookup per command),
// the stop poll armed.
void UringChannel::Impl::setup(Queue& q) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(q.qid, &cpus);
  ::pthread_setaffinity_np(::pthread_self(), sizeof(cpus), &cpus); // an offline CPU: unpinned
  enable(q);
  q.fixed_fd = ::io_uring_register_files(&q.ring, &fd, 1) == 0;
  if (io_uring_sqe* sqe = ::io_uring_get_sqe(&q.ring)) {
    ::io_uring_prep_poll_add(sqe, stop_fd.get(), POLLIN);
    sqe->user_data = k_stop_tag;
  }
}

void UringChannel::Impl::run(Queue& q) {
  setup(q);
  unsigned live = 0;
  for (unsigned i = 0; i < k_depth; ++i) {
    live += submit(q, i, k_uring_cmd_register, 0).has_value() ? 1 : 0;
  }
  int retries = 0;
  bool stopping = false;
  while (live > 0 && !stopping) {
    // One system call per round: the replies (COMMIT_AND_FETCH) go in, the next requests come out.
    const int rc = ::io_uring_submit_and_wait(&q.ring, 1);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
      FAMFS_TRACE(1, "io_uring queue {}: waiting: {}", q.qid, std::strerror(-rc));
      break;
    }
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&q.ring, head, cqe) {
      ++seen;
      if (cqe->user_data == k_stop_tag) {
        stopping = true;
      } else {
        live -= on_completion(q, *cqe, retries) ? 0 : 1;
      }
    }
    ::io_uring_cq_advance(&q.ring, seen);
  }
  if (stopping) {
    ::io_uring_submit(&q.ring); // the replies of the last round
  }
  FAMFS_TRACE(2, "io_uring queue {}: done", q.qid);
}

void UringChannel::Impl::decline() {
  // A REGISTER without buffers: the kernel refuses it and, doing so, turns io_uring off for this
  // connection and wakes the requests that waited for the rings.
  Queue& q = *queues.front();
  enable(q);
  io_uring_sqe* sqe = command(q, k_uring_cmd_register, 0);
  if (sqe == nullptr) {
    return;
  }
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{1, 0};
  ::io_uring_submit(&q.ring);
  if (::io_uring_wait_cqe_timeout(&q.ring, &cqe, &ts) == 0) {
    ::io_uring_cqe_seen(&q.ring, cqe);
  }
}

Result<std::unique_ptr<UringChannel>> UringChannel::prepare(int fuse_fd) {
  auto impl = std::make_unique<Impl>();
  impl->fd = fuse_fd;
  impl->stop_fd = core::UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (!impl->stop_fd) {
    return sys_error(errno, "io_uring: an eventfd");
  }
  const unsigned n = possible_cpus();
  for (unsigned qid = 0; qid < n; ++qid) {
    auto q = std::make_unique<Queue>(qid);
    io_uring_params p{};
    p.flags = IORING_SETUP_SQE128 | k_ring_flags;
    int rc = ::io_uring_queue_init_params(2 * k_depth, &q->ring, &p);
    if (rc == -EINVAL) {
      p = io_uring_params{};
      p.flags = IORING_SETUP_SQE128;
      rc = ::io_uring_queue_init_params(2 * k_depth, &q->ring, &p);
    }
    if (rc < 0) {
      return fail(Errc::unsupported, "io_uring: a SQE128 ring: {}{}", std::strerror(-rc),
                  rc == -EPERM ? " (see /proc/sys/kernel/io_uring_disabled)" : "");
    }
    q->ring_ok = true;
    q->disabled = (p.flags & IORING_SETUP_R_DISABLED) != 0;
    impl->queues.push_back(std::move(q));
  }
  return std::unique_ptr<UringChannel>(new UringChannel(std::move(impl)));
}

UringChannel::UringChannel(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

UringChannel::~UringChannel() {
  stop();
}

Result<void>
UringChannel::start(std::size_t payload, ServeFn serve, FaultFn fault, RefusedFn refused) {
  Impl& m = *m_impl;
  m.serve = std::move(serve);
  m.fault = std::move(fault);
  m.refused = std::move(refused);
  const std::size_t entry_size = uring_entry_bytes(payload);
  for (auto& q : m.queues) {
    auto mem = AnonMemory::map(entry_size * k_depth);
    if (!mem) {
      m.decline();
      return std::move(mem).error();
    }
    q->mem = std::move(*mem);
    q->entry_size = entry_size;
    q->fetched.assign(k_depth, false);
    for (unsigned i = 0; i < k_depth; ++i) {
      std::span<std::byte> e = q->entry(i);
      q->iovs.push_back(iovec{e.data(), sizeof(UringReqHeader)});
      q->iovs.push_back(iovec{e.data() + k_uring_payload_at, payload});
    }
  }
  for (auto& q : m.queues) {
    q->thread = std::thread([&m, &q = *q] { m.run(q); });
  }
  return {};
}

void UringChannel::stop() {
  if (!m_impl) {
    return;
  }
  const std::uint64_t one = 1;
  if (m_impl->stop_fd && ::write(m_impl->stop_fd.get(), &one, sizeof(one)) < 0) {
    FAMFS_TRACE(1, "io_uring: waking the queues to stop: {}", std::strerror(errno));
  }
  for (auto& q : m_impl->queues) {
    if (q->thread.joinable()) {
      q->thread.join();
    }
  }
}

unsigned UringChannel::queues() const {
  return static_cast<unsigned>(m_impl->queues.size());
}

#endif

} // namespace famfs::fuse

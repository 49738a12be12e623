// The kernel's side of a FUSE connection, for the unit tests: drives a fuse::Server over a
// socketpair (SOCK_SEQPACKET: one message per request, as /dev/fuse gives one request per read),
// sends hand-built requests and decodes the replies. The server answers either from one thread
// (Server::serve) or from its worker threads and housekeeping thread (Server::run, with
// ServerOptions::threads workers all reading the one socket).
#pragma once

#include "core/image.hpp"
#include "core/unique_fd.hpp"
#include "fuse/channel.hpp"
#include "fuse/protocol.hpp"
#include "fuse/server.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace famfs::test {

// How the server under test reads its requests.
enum class Serving {
  one_thread, // Server::serve on one thread
  workers,    // Server::run: INIT, then ServerOptions::threads workers and the housekeeping thread
};

class FakeKernel {
public:
  using u32 = fuse::u32;
  using u64 = fuse::u64;
  // (error as a positive errno or 0, payload)
  using Answer = std::pair<int, std::vector<std::byte>>;

  FakeKernel(core::Image& img, fuse::ServerOptions opts, Serving how = Serving::one_thread)
      : m_server(img, std::move(opts)) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    m_ours.reset(sv[0]);
    core::UniqueFd theirs(sv[1]);
    int big = 8 << 20;
    ::setsockopt(m_ours.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    ::setsockopt(theirs.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    timeval tv{5, 0}; // a reply that never comes fails the test instead of hanging it
    ::setsockopt(m_ours.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    m_channel = fuse::Channel::adopt(std::move(theirs));
    m_thread = std::thread([this, how] {
      m_result = how == Serving::workers ? m_server.run(m_channel) : m_server.serve(m_channel.fd());
      m_finished.store(true);
    });
  }
  ~FakeKernel() {
    ::shutdown(m_ours.get(), SHUT_RDWR);
    m_thread.join();
  }
  FakeKernel(const FakeKernel&) = delete;
  FakeKernel& operator=(const FakeKernel&) = delete;

  fuse::Server& server() { return m_server; }
  // Kernel notifications from the server arrive on this socket too (unique 0); read them with
  // receive().
  void enable_notify() { m_server.set_notify_fd(m_channel.fd()); }
  // Whether the serving thread has returned (and how).
  bool finished() const { return m_finished.load(); }
  const Result<void>& result() const { return m_result; }

  void send(const std::vector<std::byte>& req) { REQUIRE(send_raw(req)); }
  // The next reply (waits up to 5 s). Not for use while other threads call try_call.
  std::vector<std::byte> receive() {
    auto b = receive_raw();
    REQUIRE(b.size() >= fuse::k_out_header_size);
    return b;
  }

  // Sends a request and waits for its reply, matched by unique id. Safe to call from several
  // threads at once (one of the waiting callers reads the socket and hands out the replies), and
  // free of Catch2 assertions, which are not thread-safe: nullopt when the request could not be
  // sent or no well-formed reply came.
  std::optional<Answer> try_call(u32 op, u64 nodeid, const std::vector<std::byte>& body) {
    const u64 unique = m_unique.fetch_add(1) + 1;
    if (!send_raw(fuse::encode_request(op, unique, nodeid, body))) {
      return std::nullopt;
    }
    auto b = wait_for(unique);
    if (!b) {
      return std::nullopt;
    }
    auto d = fuse::decode_reply(*b);
    if (!d || d->unique != unique || d->len != b->size()) {
      return std::nullopt;
    }
    return Answer{-d->error, std::vector<std::byte>(d->payload.begin(), d->payload.end())};
  }
  template <typename T> std::optional<Answer> try_call_of(u32 op, u64 nodeid, const T& body) {
    return try_call(op, nodeid, bytes_of(body));
  }
  // Sends a request that gets no reply (FORGET, BATCH_FORGET, INTERRUPT); thread-safe.
  bool post(u32 op, u64 nodeid, const std::vector<std::byte>& body) {
    return send_raw(fuse::encode_request(op, m_unique.fetch_add(1) + 1, nodeid, body));
  }

  Answer call(u32 op, u64 nodeid, const std::vector<std::byte>& body) {
    auto a = try_call(op, nodeid, body);
    REQUIRE(a);
    return std::move(*a);
  }
  template <typename T> Answer call_of(u32 op, u64 nodeid, const T& body) {
    return call(op, nodeid, bytes_of(body));
  }

  fuse_init_out init(u32 minor = 45,
                     u64 flags = FUSE_ASYNC_READ | FUSE_INIT_EXT | FUSE_MAX_PAGES | FUSE_BIG_WRITES
                                 | FUSE_PARALLEL_DIROPS | FUSE_DO_READDIRPLUS
                                 | FUSE_AUTO_INVAL_DATA,
                     u32 flags2 = 0) {
    fuse_init_in in{};
    in.major = 7;
    in.minor = minor;
    in.max_readahead = 128 * 1024;
    in.flags = static_cast<u32>(flags);
    in.flags2 = flags2;
    auto [err, p] = call_of(FUSE_INIT, 0, in);
    REQUIRE(err == 0);
    REQUIRE(p.size() == sizeof(fuse_init_out));
    fuse_init_out out{};
    std::memcpy(&out, p.data(), sizeof(out));
    return out;
  }
  std::optional<fuse_entry_out> lookup(u64 parent, const std::string& name, int* err = nullptr) {
    auto [e, p] = call(FUSE_LOOKUP, parent, name_body(name));
    if (err != nullptr) {
      *err = e;
    }
    if (e != 0) {
      return std::nullopt;
    }
    REQUIRE(p.size() == sizeof(fuse_entry_out));
    fuse_entry_out out{};
    std::memcpy(&out, p.data(), sizeof(out));
    return out;
  }
  Answer read(u64 node, u64 off, u32 size) {
    fuse_read_in in{};
    in.offset = off;
    in.size = size;
    return call_of(FUSE_READ, node, in);
  }
  Answer write(u64 node, u64 off, const std::vector<std::byte>& d) {
    return call(FUSE_WRITE, node, write_body(off, d));
  }
  fuse_attr getattr(u64 node) {
    auto [e, p] = call_of(FUSE_GETATTR, node, fuse_getattr_in{});
    REQUIRE(e == 0);
    fuse_attr_out out{};
    REQUIRE(p.size() == sizeof(out));
    std::memcpy(&out, p.data(), sizeof(out));
    return out.attr;
  }

  // Request bodies.
  template <typename T> static std::vector<std::byte> bytes_of(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::vector<std::byte> b(sizeof(T));
    std::memcpy(b.data(), &v, sizeof(T));
    return b;
  }
  // A name with its NUL.
  static std::vector<std::byte> name_body(const std::string& n) {
    std::vector<std::byte> b(n.size() + 1);
    std::memcpy(b.data(), n.c_str(), n.size() + 1);
    return b;
  }
  static std::vector<std::byte> write_body(u64 off, const std::vector<std::byte>& d) {
    fuse_write_in in{};
    in.offset = off;
    in.size = static_cast<u32>(d.size());
    std::vector<std::byte> b = bytes_of(in);
    b.insert(b.end(), d.begin(), d.end());
    return b;
  }

private:
  bool send_raw(const std::vector<std::byte>& req) {
    return ::send(m_ours.get(), req.data(), req.size(), MSG_NOSIGNAL)
           == static_cast<ssize_t>(req.size());
  }
  // One message from the server, empty on a timeout or error.
  std::vector<std::byte> receive_raw() {
    thread_local std::vector<std::byte> buf(4 << 20);
    ssize_t n = ::recv(m_ours.get(), buf.data(), buf.size(), 0);
    if (n <= 0) {
      return {};
    }
    return std::vector<std::byte>(buf.begin(), buf.begin() + n);
  }
  // The reply to `unique`: taken from those another caller received, or read from the socket by
  // this caller while no other caller reads.
  std::optional<std::vector<std::byte>> wait_for(u64 unique) {
    std::unique_lock lock(m_rx_mutex);
    for (;;) {
      if (auto it = m_replies.find(unique); it != m_replies.end()) {
        auto b = std::move(it->second);
        m_replies.erase(it);
        return b;
      }
      if (m_receiving) {
        m_rx_cv.wait(lock);
        continue;
      }
      m_receiving = true;
      lock.unlock();
      auto b = receive_raw();
      lock.lock();
      m_receiving = false;
      m_rx_cv.notify_all();
      if (b.size() < fuse::k_out_header_size) {
        return std::nullopt;
      }
      fuse_out_header h{};
      std::memcpy(&h, b.data(), sizeof(h));
      m_replies[h.unique] = std::move(b);
    }
  }

  fuse::Server m_server;
  core::UniqueFd m_ours;
  fuse::Channel m_channel; // the server's end
  std::thread m_thread;
  Result<void> m_result;
  std::atomic<bool> m_finished{false};
  std::atomic<u64> m_unique{100};
  std::mutex m_rx_mutex;
  std::condition_variable m_rx_cv;
  std::map<u64, std::vector<std::byte>> m_replies; // received, not yet claimed
  bool m_receiving = false;
};

} // namespace famfs::test

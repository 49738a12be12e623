// The SIGBUS handler and the guards (see media_guard.hpp). Everything the handler reads is
// either an atomic or plain data published before the atomic that points to it (release
// store, acquire load), so the handler never takes a lock or allocates.
#include "core/media_guard.hpp"

#include <fmt/format.h>

#include <setjmp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace famfs::core {

namespace {

constexpr std::size_t k_slots = 64;
constexpr std::size_t k_name_max = 256;
constexpr std::size_t k_prefix_max = 64;
constexpr const char* k_media_hint = "the device memory there cannot be accessed (poisoned, or a "
                                     "backing file shrank under its mapping)";

// One registered mapping. `base` is stored last on registration and cleared first on
// unregistration, so a handler that sees base != 0 sees the rest filled in.
struct Slot {
  std::atomic<std::uintptr_t> base{0};
  std::atomic<std::size_t> len{0};
  std::uint64_t file_offset = 0;
  std::size_t name_len = 0;
  char name[k_name_max] = {};
};

Slot g_slots[k_slots];
std::mutex g_slots_mutex; // serialises registration; the handler never takes it

std::atomic<bool> g_installed{false};
std::mutex g_install_mutex;
struct sigaction g_previous {};

std::atomic<int> g_exit_code{-1}; // -1: no exit set, take the default action
std::atomic<std::size_t> g_prefix_len{0};
char g_prefix[k_prefix_max] = {};

std::atomic<std::uint64_t> g_media_errors{0};

// The recovery point of the guard running on this thread. `fault` is written by the handler.
struct Recovery {
  sigjmp_buf env;
  std::uintptr_t lo[2] = {0, 0};
  std::uintptr_t hi[2] = {0, 0};
  volatile std::uintptr_t fault = 0;
};
thread_local Recovery* t_recovery = nullptr;

// The slot holding `addr`, or nullptr. Async-signal-safe.
const Slot* find_slot(std::uintptr_t addr) {
  for (const Slot& s : g_slots) {
    const std::uintptr_t b = s.base.load(std::memory_order_acquire);
    if (b != 0 && addr >= b && addr - b < s.len.load(std::memory_order_relaxed)) {
      return &s;
    }
  }
  return nullptr;
}

// A small append-only buffer for the handler's message. Async-signal-safe.
struct SignalMessage {
  char buf[512];
  std::size_t n = 0;
  void add(const char* s, std::size_t len) {
    len = std::min(len, sizeof(buf) - n);
    std::memcpy(buf + n, s, len);
    n += len;
  }
  void add(const char* s) { add(s, std::strlen(s)); }
  void add_hex(std::uint64_t v) {
    char digits[16];
    std::size_t k = 0;
    do {
      digits[k++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    add("0x");
    while (k > 0) {
      add(&digits[--k], 1);
    }
  }
  void write_to(int fd) const {
    std::size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(fd, buf + done, n - done);
      if (w <= 0) {
        return;
      }
      done += static_cast<std::size_t>(w);
    }
  }
};

[[noreturn]] void exit_with_message(const Slot& s, std::uintptr_t addr, int code) {
  SignalMessage m;
  m.add(g_prefix, g_prefix_len.load(std::memory_order_acquire));
  m.add(": error: ");
  m.add(s.name, s.name_len);
  m.add(": media error at offset ");
  m.add_hex(addr - s.base.load(std::memory_order_relaxed) + s.file_offset);
  m.add("\nhint: ");
  m.add(k_media_hint);
  m.add("\n");
  m.write_to(STDERR_FILENO);
  ::_exit(code);
}

bool in_guard(const Recovery& r, std::uintptr_t addr) {
  for (int i = 0; i < 2; ++i) {
    if (addr >= r.lo[i] && addr < r.hi[i]) {
      return true;
    }
  }
  return false;
}

void on_sigbus(int sig, siginfo_t* info, void* uctx) {
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const bool from_fault = info->si_code > 0; // not kill(2), raise(3) or sigqueue(3)
  if (from_fault) {
    if (Recovery* r = t_recovery; r != nullptr && in_guard(*r, addr)) {
      r->fault = addr;
      siglongjmp(r->env, 1);
    }
    if (const Slot* s = find_slot(addr); s != nullptr) {
      if (int code = g_exit_code.load(std::memory_order_acquire); code >= 0) {
        exit_with_message(*s, addr, code);
      }
    }
  }
  // Not a media error we know how to report: behave as if we had never been installed.
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, uctx); // e.g. a sanitizer's own report
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN
      && g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(sig);
    return;
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGBUS, &dfl, nullptr);
  if (!from_fault) {
    ::raise(SIGBUS); // delivered with the default action once this handler returns
  }
  // A fault re-executes the access on return and now dies with the default action.
}

// SIGBUS stays blocked after siglongjmp out of the handler (sigsetjmp did not save the mask, to
// keep guards free of system calls); unblock it so that the next fault is handled too.
void unblock_sigbus() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGBUS);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

Error guard_failed(const Recovery& rec) {
  t_recovery = nullptr;
  unblock_sigbus();
  g_media_errors.fetch_add(1, std::memory_order_relaxed);
  return media_error_at(reinterpret_cast<const void*>(rec.fault));
}

std::size_t page_size() {
  static const std::size_t size = [] {
    long p = ::sysconf(_SC_PAGESIZE);
    return p > 0 ? static_cast<std::size_t>(p) : std::size_t{4096};
  }();
  return size;
}

} // namespace

void install_media_guard() {
  if (g_installed.load(std::memory_order_acquire)) {
    return;
  }
  std::lock_guard lock(g_install_mutex);
  if (g_installed.load(std::memory_order_relaxed)) {
    return;
  }
  struct sigaction sa {};
  sa.sa_sigaction = &on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, &g_previous);
  g_installed.store(true, std::memory_order_release);
}

void set_media_error_exit(std::string_view prefix, int code) {
  const std::size_t n = std::min(prefix.size(), k_prefix_max - 1);
  g_prefix_len.store(0, std::memory_order_release);
  std::memcpy(g_prefix, prefix.data(), n);
  g_prefix_len.store(n, std::memory_order_release);
  g_exit_code.store(code, std::memory_order_release);
  install_media_guard();
}

bool register_mapping(const void* base,
                      std::size_t len,
                      std::uint64_t file_offset,
                      std::string_view name) {
  std::lock_guard lock(g_slots_mutex);
  for (Slot& s : g_slots) {
    if (s.base.load(std::memory_order_relaxed) != 0) {
      continue;
    }
    s.len.store(len, std::memory_order_relaxed);
    s.file_offset = file_offset;
    s.name_len = std::min(name.size(), k_name_max);
    std::memcpy(s.name, name.data(), s.name_len);
    s.base.store(reinterpret_cast<std::uintptr_t>(base), std::memory_order_release);
    return true;
  }
  return false;
}

void unregister_mapping(const void* base) {
  std::lock_guard lock(g_slots_mutex);
  for (Slot& s : g_slots) {
    if (s.base.load(std::memory_order_relaxed) == reinterpret_cast<std::uintptr_t>(base)) {
      s.base.store(0, std::memory_order_release);
      return;
    }
  }
}

Error media_error_at(const void* addr) {
  const auto a = reinterpret_cast<std::uintptr_t>(addr);
  std::lock_guard lock(g_slots_mutex);
  if (const Slot* s = find_slot(a); s != nullptr) {
    const std::uint64_t off = a - s->base.load(std::memory_order_relaxed) + s->file_offset;
    return with_hint(make_error(Errc::media, "{}: media error at offset {:#x}",
                                std::string_view(s->name, s->name_len), off),
                     k_media_hint);
  }
  return with_hint(make_error(Errc::media, "media error at address {:#x}", a), k_media_hint);
}

Result<void> guarded_copy(void* dst, const void* src, std::size_t len) {
  if (len == 0) {
    return {};
  }
  install_media_guard();
  Recovery rec;
  rec.lo[0] = reinterpret_cast<std::uintptr_t>(src);
  rec.hi[0] = rec.lo[0] + len;
  rec.lo[1] = reinterpret_cast<std::uintptr_t>(dst);
  rec.hi[1] = rec.lo[1] + len;
  // Nothing with a destructor lives between here and the copy, so jumping back is safe.
  if (sigsetjmp(rec.env, 0) != 0) {
    return guard_failed(rec);
  }
  t_recovery = &rec;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::memcpy(dst, src, len);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_recovery = nullptr;
  return {};
}

Result<void> guarded_probe(const void* p, std::size_t len) {
  if (len == 0) {
    return {};
  }
  install_media_guard();
  Recovery rec;
  rec.lo[0] = reinterpret_cast<std::uintptr_t>(p);
  rec.hi[0] = rec.lo[0] + len;
  if (sigsetjmp(rec.env, 0) != 0) {
    return guard_failed(rec);
  }
  t_recovery = &rec;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  const auto* bytes = static_cast<const volatile unsigned char*>(p);
  const std::size_t page = page_size();
  const std::size_t first_boundary = page - rec.lo[0] % page;
  (void)bytes[0];
  for (std::size_t i = first_boundary; i < len; i += page) {
    (void)bytes[i];
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_recovery = nullptr;
  return {};
}

Error device_syscall_error(int err, const void* p, std::size_t len, std::string what) {
  if (err == EFAULT) {
    if (auto probe = guarded_probe(p, len); !probe) {
      return std::move(probe).error();
    }
  }
  return sys_error(err, std::move(what));
}

std::uint64_t media_error_count() {
  return g_media_errors.load(std::memory_order_relaxed);
}

} // namespace famfs::core

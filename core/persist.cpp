// Cache-line write-back for memory that may be shared with other hosts.
// The instruction is picked once at run time from CPUID: clwb keeps the line cached (best for
// persistence), clflushopt invalidates it, clflush is the universal fallback.
#include "core/device.hpp"

#include <cpuid.h>

#include <cstdint>

namespace famfs::core {

namespace {

constexpr std::uintptr_t k_line = 64;

enum class FlushInsn { clwb, clflushopt, clflush };

FlushInsn detect() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) != 0) {
    if ((b & (1U << 24)) != 0) {
      return FlushInsn::clwb;
    }
    if ((b & (1U << 23)) != 0) {
      return FlushInsn::clflushopt;
    }
  }
  return FlushInsn::clflush;
}

FlushInsn insn() {
  static const FlushInsn k = detect();
  return k;
}

bool has_clflushopt() {
  static const bool k = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 && (b & (1U << 23)) != 0;
  }();
  return k;
}

// The encodings are written out so that no -m flag is needed to build.
inline void clwb(const volatile void* p) {
  asm volatile(".byte 0x66, 0x0f, 0xae, 0x30" ::"a"(p) : "memory"); // clwb (%rax)
}
inline void clflushopt(const volatile void* p) {
  asm volatile(".byte 0x66, 0x0f, 0xae, 0x38" ::"a"(p) : "memory"); // clflushopt (%rax)
}
inline void clflush(const volatile void* p) {
  asm volatile("clflush (%0)" ::"r"(p) : "memory");
}
inline void sfence() {
  asm volatile("sfence" ::: "memory");
}
inline void mfence() {
  asm volatile("mfence" ::: "memory");
}

template <typename F> void each_line(const void* addr, std::uint64_t len, F f) {
  auto start = reinterpret_cast<std::uintptr_t>(addr) & ~(k_line - 1);
  auto end = reinterpret_cast<std::uintptr_t>(addr) + len;
  for (std::uintptr_t p = start; p < end; p += k_line) {
    f(reinterpret_cast<const void*>(p));
  }
}

} // namespace

const char* flush_instruction() {
  switch (insn()) {
  case FlushInsn::clwb:
    return "clwb";
  case FlushInsn::clflushopt:
    return "clflushopt";
  case FlushInsn::clflush:
    return "clflush";
  }
  return "clflush";
}

void flush_range(const void* addr, std::uint64_t len) {
  if (len == 0) {
    return;
  }
  switch (insn()) {
  case FlushInsn::clwb:
    each_line(addr, len, [](const void* p) { clwb(p); });
    sfence();
    break;
  case FlushInsn::clflushopt:
    each_line(addr, len, [](const void* p) { clflushopt(p); });
    sfence();
    break;
  case FlushInsn::clflush:
    each_line(addr, len, [](const void* p) { clflush(p); });
    mfence();
    break;
  }
}

void invalidate_range(const void* addr, std::uint64_t len) {
  if (len == 0) {
    return;
  }
  mfence();
  if (has_clflushopt()) {
    each_line(addr, len, [](const void* p) { clflushopt(p); });
    sfence();
  } else {
    each_line(addr, len, [](const void* p) { clflush(p); });
    mfence();
  }
}

} // namespace famfs::core

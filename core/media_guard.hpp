// Media errors: a SIGBUS raised by device memory, because the memory is poisoned (a machine
// check on DAX memory) or because a backing file shrank under its mapping.
//
// Every device Mapping registers its address range here. One process-wide SIGBUS handler
// (SA_SIGINFO) looks at the faulting address:
//   - inside the range of a guarded_copy()/guarded_probe() running on this thread: the access is
//     abandoned (siglongjmp to the guard's recovery point) and the guard returns Errc::media;
//   - inside a registered mapping, and set_media_error_exit() was called (the CLI does): the
//     handler write(2)s "<prefix>: error: <device>: media error at offset 0x..." and _exit()s
//     with the code given;
//   - anywhere else (a real bug, or no exit set): the default action, as if no handler existed.
// The handler does only async-signal-safe work: atomics, write(2), _exit(2), siglongjmp.
#pragma once

#include "log/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace famfs::core {

// Installs the SIGBUS handler once per process (thread-safe; later calls do nothing).
void install_media_guard();

// Makes a fault in a registered mapping outside any guard end the process with one line,
// "<prefix>: error: <name>: media error at offset 0x<offset>" plus a hint, and exit `code`.
// Installs the handler. `prefix` is e.g. "famfs verify" (at most 63 bytes are kept).
void set_media_error_exit(std::string_view prefix, int code);

// Registers [base, base+len), mapped from `file_offset` of the file called `name`, so that
// faults in it are recognised (Mapping::map does this). Returns false when the table is full
// (64 mappings); faults there then take the default action.
bool register_mapping(const void* base,
                      std::size_t len,
                      std::uint64_t file_offset,
                      std::string_view name);
// Forgets the mapping registered at `base` (before it is unmapped).
void unregister_mapping(const void* base);

// Copies `len` bytes from `src` to `dst`; either may be device memory. A SIGBUS in either range
// abandons the copy (part of `dst` may be written) and returns Errc::media, "<device>: media
// error at offset 0x...".
Result<void> guarded_copy(void* dst, const void* src, std::size_t len);

// Reads one byte of every page of [p, p+len): Errc::media at the first page that faults.
// Catches a truncated backing file; poison elsewhere in a page may go unnoticed.
Result<void> guarded_probe(const void* p, std::size_t len);

// The error for a system call that failed with `err` while passing device memory [p, p+len) to
// the kernel (read, pread, pwrite, writev): the kernel reports lost memory as EFAULT, so EFAULT
// with a page that faults under guarded_probe() is Errc::media; anything else is sys_error().
Error device_syscall_error(int err, const void* p, std::size_t len, std::string what);

// The Errc::media error for a fault at `addr`, named after the registered mapping holding it.
Error media_error_at(const void* addr);

// How many media errors the guards of this process have returned so far.
std::uint64_t media_error_count();

} // namespace famfs::core

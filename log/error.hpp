// The error type shared by every layer below cli/.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>

namespace famfs {

// What went wrong, coarse enough to map to an exit code or an errno in one place each.
enum class Errc {
  io,               // a system call failed (sys_errno says which)
  corrupt,          // on-media bytes fail validation
  bad_version,      // a superblock of another format version
  no_space,         // device or log full
  exists,           // the object is already there
  not_found,        // the object is not there
  busy,             // mounted, locked or in use
  invalid_argument, // the caller asked for something impossible
  permission,       // the role or the credentials forbid it
  unsupported,      // valid, but not something we do
  media,            // the memory raised a machine check (SIGBUS)
  internal,         // a bug: an invariant did not hold
};

// An error: a code, the errno behind it (0 when none) and a message that already carries
// its context, e.g. "log entry 17 at device offset 0x20c2f0: checksum mismatch".
struct Error {
  Errc code = Errc::internal;
  int sys_errno = 0;
  std::string message;
  std::string hint; // the fix, when it is known ("make a file system with a larger --loglen")
};

// The errno that stands for `e` (the FUSE server's replies). The one Errc -> errno mapping.
int to_errno(const Error& e);

// Returns `e` with a hint attached.
inline Error with_hint(Error e, std::string hint) {
  e.hint = std::move(hint);
  return e;
}

// Builds an Error with a formatted message.
template <typename... Args>
Error make_error(Errc code, fmt::format_string<Args...> f, Args&&... args) {
  return Error{code, 0, fmt::format(f, std::forward<Args>(args)...), {}};
}

// Builds an Errc::io Error from an errno value; the strerror text is appended.
Error sys_error(int err, std::string what);

// Returns a copy of `e` whose message is prefixed with "<context>: ".
Error with_context(Error e, std::string_view context);

} // namespace famfs

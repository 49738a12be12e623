#include "log/error.hpp"

#include <cerrno>
#include <cstring>

namespace famfs {

Error sys_error(int err, std::string what) {
  Error e{Errc::io, err, std::move(what), {}};
  e.message += ": ";
  e.message += std::strerror(err);
  return e;
}

int to_errno(const Error& e) {
  if (e.sys_errno != 0) {
    return e.sys_errno;
  }
  switch (e.code) {
  case Errc::io:
    return EIO;
  case Errc::corrupt:
  case Errc::bad_version:
  case Errc::media:
    return EIO;
  case Errc::no_space:
    return ENOSPC;
  case Errc::exists:
    return EEXIST;
  case Errc::not_found:
    return ENOENT;
  case Errc::busy:
    return EBUSY;
  case Errc::invalid_argument:
    return EINVAL;
  case Errc::permission:
    return EPERM;
  case Errc::unsupported:
    return EOPNOTSUPP;
  case Errc::internal:
    return EIO;
  }
  return EIO;
}

Error with_context(Error e, std::string_view context) {
  std::string m(context);
  m += ": ";
  m += e.message;
  e.message = std::move(m);
  return e;
}

} // namespace famfs

#include "log/result.hpp"

#include <cstdio>

namespace famfs {

void result_access_failure(const Error& e) {
  std::fprintf(stderr, "famfs: internal error: unchecked result: %s\n", e.message.c_str());
  std::abort();
}

void assert_failure(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "famfs: internal error: %s:%d: assertion failed: %s\n", file, line, cond);
  std::abort();
}

} // namespace famfs

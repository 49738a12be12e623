#include "core/system_uuid.hpp"

#include "core/unique_fd.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace famfs::core {

namespace {
std::mutex g_mutex;
std::string g_override;
} // namespace

void set_system_uuid_file(std::string path) {
  std::lock_guard lock(g_mutex);
  g_override = std::move(path);
}

std::string system_uuid_file() {
  {
    std::lock_guard lock(g_mutex);
    if (!g_override.empty()) {
      return g_override;
    }
  }
  if (const char* env = std::getenv("FAMFS_SYSTEM_UUID_FILE"); env != nullptr && *env != 0) {
    return env;
  }
  return k_default_system_uuid_file;
}

log::Uuid random_uuid() {
  log::Uuid u;
  std::size_t got = 0;
  while (got < u.bytes.size()) {
    ssize_t n = ::getrandom(u.bytes.data() + got, u.bytes.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    }
  }
  u.bytes[6] = static_cast<std::uint8_t>((u.bytes[6] & 0x0f) | 0x40);
  u.bytes[8] = static_cast<std::uint8_t>((u.bytes[8] & 0x3f) | 0x80);
  return u;
}

namespace {

Result<log::Uuid> create_uuid_file(const std::string& path) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    if (!std::filesystem::exists(p.parent_path(), ec)) {
      if (::mkdir(p.parent_path().c_str(), 0755) != 0 && errno != EEXIST) {
        return sys_error(errno, p.parent_path().string());
      }
    }
  }
  log::Uuid u = random_uuid();
  std::string text = u.str();
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd) {
    if (errno == EEXIST) {
      return get_system_uuid(path); // another process won the race
    }
    return sys_error(errno, path);
  }
  // 36 characters plus the NUL, as upstream writes it.
  if (::write(fd.get(), text.c_str(), text.size() + 1) != static_cast<ssize_t>(text.size() + 1)) {
    int err = errno;
    ::unlink(path.c_str());
    return sys_error(err, path);
  }
  FAMFS_TRY(fd.close());
  return u;
}

} // namespace

Result<log::Uuid> get_system_uuid(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return create_uuid_file(path);
    }
    return sys_error(errno, path);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: system UUID file is not a regular file", path);
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, path);
  }
  char buf[64] = {};
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n < 0) {
    return sys_error(errno, path);
  }
  std::string_view text(buf, static_cast<std::size_t>(n));
  // Upstream reads with "%36s": leading white space skipped, then 36 characters.
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) {
    text.remove_prefix(1);
  }
  auto u = log::Uuid::parse(text.substr(0, 36));
  if (!u) {
    return fail(Errc::corrupt, "{}: system UUID file does not hold a UUID", path);
  }
  return *u;
}

Result<log::Uuid> get_system_uuid() {
  return get_system_uuid(system_uuid_file());
}

const char* to_string(Role r) {
  switch (r) {
  case Role::master:
    return "master";
  case Role::client:
    return "client";
  case Role::no_superblock:
    return "no valid superblock";
  }
  return "client";
}

Role role_for(const log::Superblock& sb, const log::Uuid& host) {
  return sb.system_uuid == host ? Role::master : Role::client;
}

} // namespace famfs::core

// famfs chkread [-s | -l] FILE...
// Upstream's read check: reads each file twice, with read(2) and through mmap, and compares the
// two copies (a file served by the kernel data path, or .meta/.superblock and .meta/.log). With
// -s or -l the file is also decoded as the superblock or the log, from both copies.
#include "cli/command.hpp"
#include "core/mapping.hpp"
#include "core/unique_fd.hpp"
#include "log/log_view.hpp"
#include "log/records.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace famfs::cli {

namespace {

struct ChkreadOptions {
  std::vector<std::string> files;
  bool superblock = false;
  bool log = false;
};

Result<std::vector<std::byte>> read_whole(int fd, const std::string& path, std::uint64_t size) {
  std::vector<std::byte> buf(size);
  std::uint64_t done = 0;
  while (done < size) {
    const auto n = ::pread(fd, buf.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return sys_error(n < 0 ? errno : EIO, path + ": read");
    }
    done += static_cast<std::uint64_t>(n);
  }
  return buf;
}

// What -s or -l find in one copy.
std::string decoded(const ChkreadOptions& a, std::span<const std::byte> bytes) {
  if (a.superblock) {
    auto sb = log::parse_superblock(bytes);
    return sb ? fmt::format("superblock of file system {}", sb->fs_uuid.str())
              : "superblock: " + sb.error().message;
  }
  auto v = log::LogView::parse(bytes, bytes.size());
  return v ? fmt::format("log with {} entries", v->size()) : "log: " + v.error().message;
}

Result<void> chkread(const Context& ctx, const ChkreadOptions& a, const std::string& path) {
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return sys_error(errno, path);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, "{}: not a regular file", path);
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  FAMFS_TRY_ASSIGN(auto by_read, read_whole(fd.get(), path, size));
  if (size == 0) {
    return {};
  }
  FAMFS_TRY_ASSIGN(auto m, core::Mapping::map(fd.get(), size, core::Access::read_only, 0, path));
  if (a.superblock || a.log) {
    fmt::print(ctx.out, "{}: by mmap: {}\n{}: by read: {}\n", path, decoded(a, m.bytes()), path,
               decoded(a, by_read));
  }
  if (std::memcmp(m.data(), by_read.data(), size) != 0) {
    return fail(Errc::corrupt, "{}: read and mmap return different bytes", path);
  }
  fmt::print(ctx.out, "{}: read and mmap match ({} bytes)\n", path, size);
  return {};
}

Result<int> run_chkread(Context& ctx, const ChkreadOptions& a) {
  ErrorTally failed(ctx);
  for (const auto& f : a.files) {
    if (auto r = chkread(ctx, a, f); !r) {
      failed(r.error());
    }
  }
  return failed.exit_code();
}

} // namespace

RunFn add_chkread(Subcommand& sub) {
  auto a = std::make_shared<ChkreadOptions>();
  auto* s = sub.add_flag("-s,--superblock", a->superblock,
                         "also decode the file as a superblock (.meta/.superblock)");
  sub.add_flag("-l,--log", a->log, "also decode the file as the log (.meta/.log)")->excludes(s);
  sub.add_option("FILE", a->files, "files to read both ways")->required();
  return [a](Context& ctx) { return run_chkread(ctx, *a); };
}

} // namespace famfs::cli

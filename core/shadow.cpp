#include "core/shadow.hpp"

#include "log/path.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace famfs::core {

namespace {

// A path as a YAML scalar: plain when YAML reads it back as the same string, else single-quoted.
std::string yaml_scalar(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_of(":#'\"{}[],&*!|>%@`\\\t\n") == std::string::npos
                     && s.front() != ' ' && s.back() != ' ' && s.front() != '-' && s.front() != '?';
  if (plain) {
    return s;
  }
  std::string q = "'";
  for (char c : s) {
    q += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return q + "'";
}

void extents_yaml(std::string& y, const std::vector<log::Extent>& ext, std::string_view indent) {
  y += fmt::format("{}simple_ext_list:\n", indent);
  for (const auto& e : ext) {
    y += fmt::format("{}- devindex: {}\n{}  offset: {:#x}\n{}  length: {:#x}\n", indent, e.devindex,
                     indent, e.offset, indent, e.len);
  }
}

Result<void> make_dir(const std::string& path, const log::MkdirEntry* d) {
  if (::mkdir(path.c_str(), d != nullptr ? d->mode : 0755) != 0) {
    return sys_error(errno, path);
  }
  if (d != nullptr && ::chown(path.c_str(), d->uid, d->gid) != 0) {
    return sys_error(errno, path + ": chown");
  }
  return {};
}

// Where the tree goes: DIR/root, made when DIR is a directory without one.
Result<std::string> shadow_root(const std::string& dir, DryRun dry_run) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return sys_error(errno, dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return sys_error(ENOTDIR, dir);
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return sys_error(errno, dir);
  }
  std::string_view d(dir);
  while (d.size() > 1 && d.back() == '/') {
    d.remove_suffix(1);
  }
  if (d == "root" || (d.size() >= 5 && d.substr(d.size() - 5) == "/root")) {
    return std::string(d);
  }
  std::string root = std::string(d) + "/root";
  if (dry_run == DryRun::no && ::stat(root.c_str(), &st) != 0) {
    FAMFS_TRY(make_dir(root, nullptr));
  }
  return root;
}

// Creates the shadow object of one entry; false when it was there already.
Result<bool> shadow_entry(const std::string& root, const log::LogEntry& e) {
  const bool is_file = e.type == log::EntryType::file;
  const std::string& rel = is_file ? std::get<log::FileEntry>(e.body).relpath
                                   : std::get<log::MkdirEntry>(e.body).relpath;
  if (rel.empty() || rel.front() == '/' || rel == ".." || rel.rfind("../", 0) == 0
      || rel.find("/../") != std::string::npos) {
    return fail(Errc::corrupt, "{}: not a relative path inside the file system", rel);
  }
  const std::string path = root + "/" + rel;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode) == is_file || (is_file && !S_ISREG(st.st_mode))) {
      return fail(Errc::exists, "{}: something other than a {} is there", path,
                  is_file ? "file" : "directory");
    }
    return false;
  }
  if (!is_file) {
    FAMFS_TRY(make_dir(path, &std::get<log::MkdirEntry>(e.body)));
    return true;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return sys_error(errno, path);
  }
  const std::string y = shadow_yaml(std::get<log::FileEntry>(e.body));
  const bool ok = ::write(fd, y.data(), y.size()) == static_cast<ssize_t>(y.size());
  const int err = errno;
  if (::close(fd) != 0 || !ok) {
    return sys_error(ok ? errno : err, path);
  }
  return true;
}

} // namespace

std::string shadow_yaml(const log::FileEntry& f) {
  std::string y = "---\nfile:\n";
  y += fmt::format("  path: {}\n  size: {}\n  flags: {}\n  mode: 0{:o}\n  uid: {}\n  gid: {}\n",
                   yaml_scalar(f.relpath), f.size, f.flags, f.mode, f.uid, f.gid);
  if (f.fmap.type == log::ExtType::interleaved) {
    y += "  nextents: 1\n  striped_ext_list:\n";
    y += fmt::format("  - nstrips: {}\n    chunk_size: {:#x}\n", f.fmap.extents.size(),
                     f.fmap.chunk_size);
    extents_yaml(y, f.fmap.extents, "    ");
  } else {
    y += fmt::format("  nextents: {}\n", f.fmap.extents.size());
    extents_yaml(y, f.fmap.extents, "  ");
  }
  return y + "...\n";
}

Result<ShadowReport>
write_shadow_tree(const log::LogView& log, const std::string& dir, DryRun dry_run) {
  ShadowReport r;
  FAMFS_TRY_ASSIGN(r.root, shadow_root(dir, dry_run));
  for (log::u64 i = 0; i < log.size(); ++i) {
    auto e = log.entry(i);
    if (!e) {
      r.problems.push_back(fmt::format("log entry {}: {}", i, e.error().message));
      continue;
    }
    if (e->type != log::EntryType::file && e->type != log::EntryType::mkdir) {
      continue;
    }
    (e->type == log::EntryType::file ? r.files : r.directories)++;
    if (dry_run == DryRun::yes) {
      continue;
    }
    auto made = shadow_entry(r.root, *e);
    if (!made) {
      r.problems.push_back(made.error().message);
    } else if (!*made) {
      r.existed++;
    }
  }
  return r;
}

} // namespace famfs::core

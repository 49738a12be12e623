// famfs check MOUNTPOINT [--data] [--json]: proves that what a mount shows is what the log says.
// Walks the mounted tree through the kernel (lstat, readdir) and compares it with a fresh replay of
// the log: every logged file and directory present with the same size, mode, uid and gid, nothing
// extra, every map valid. --data also compares the XXH3 digest of each file read through the
// mount with the digest of its bytes on the device.
// Exit status (bits, or-ed): 1 file problems, 2 superblock problems, 4 log problems;
// 8 operational error (cannot reach the mount or the device); 16 usage error.
#include "cli/command.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/progress.hpp"
#include "core/digest.hpp"
#include "core/file_data.hpp"
#include "core/image.hpp"
#include "core/json.hpp"
#include "core/mounts.hpp"
#include "core/tree.hpp"
#include "core/unique_fd.hpp"
#include "log/fmap.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace famfs::cli {

namespace {

enum CheckBits : int {
  k_check_files = 1,
  k_check_superblock = 2,
  k_check_log = 4,
  k_check_operational = 8,
};

struct CheckOptions {
  std::string path;
  bool data = false;
  bool json = false;
};

struct Finding {
  int bit = 0;
  std::string path; // relative to the mount ("" for none)
  std::string what;
};

struct Seen {
  struct stat st {};
};

class Checker {
public:
  Checker(const CheckOptions& o, std::string mnt) : m_opts(o), m_mnt(std::move(mnt)) {}

  std::vector<Finding> findings;
  std::uint64_t files = 0;
  std::uint64_t dirs = 0;
  std::uint64_t data_checked = 0;

  void add(int bit, std::string path, std::string what) {
    findings.push_back(Finding{bit, std::move(path), std::move(what)});
  }

  // Reads the mounted tree into m_seen (relpath -> stat), depth first.
  void walk(const std::string& rel) {
    std::string dir = rel.empty() ? m_mnt : m_mnt + "/" + rel;
    std::unique_ptr<DIR, int (*)(DIR*)> d(nullptr, &::closedir);
    {
      const DaemonDeadline deadline(dir);
      d.reset(::opendir(dir.c_str()));
    }
    if (!d) {
      add(k_check_files, rel, fmt::format("cannot list directory: {}", std::strerror(errno)));
      return;
    }
    std::vector<std::string> subdirs;
    std::optional<DaemonDeadline> deadline(std::in_place, dir); // this directory's listing
    while (dirent* e = ::readdir(d.get())) {
      std::string name = e->d_name;
      if (name == "." || name == "..") {
        continue;
      }
      std::string child = rel.empty() ? name : rel + "/" + name;
      Seen s;
      if (::lstat((m_mnt + "/" + child).c_str(), &s.st) != 0) {
        add(k_check_files, child, fmt::format("listed but cannot stat: {}", std::strerror(errno)));
        continue;
      }
      m_seen.emplace(child, s);
      if (S_ISDIR(s.st.st_mode)) {
        subdirs.push_back(child);
      }
    }
    deadline.reset();
    for (const auto& s : subdirs) {
      walk(s);
    }
  }

  // The bytes of the regular files the walk saw (what --data reads).
  std::uint64_t seen_bytes() const {
    std::uint64_t sum = 0;
    for (const auto& [rel, s] : m_seen) {
      sum += S_ISREG(s.st.st_mode) ? static_cast<std::uint64_t>(s.st.st_size) : 0;
    }
    return sum;
  }

  void compare(const core::Tree& tree, const core::Image& img, Progress& progress) {
    // Every node of the log's tree must be in the mount, with the same attributes.
    std::vector<std::uint64_t> stack{core::k_root_ino};
    while (!stack.empty()) {
      const core::Node* n = tree.get(stack.back());
      stack.pop_back();
      for (const core::Node* c : tree.sorted_children(*n)) {
        stack.push_back(c->ino);
      }
      if (n->ino == core::k_root_ino) {
        continue;
      }
      std::string rel = tree.path_of(n->ino);
      auto it = m_seen.find(rel);
      if (it == m_seen.end()) {
        add(k_check_files, rel, "in the log but missing from the mount");
        continue;
      }
      const struct stat st = it->second.st; // a copy: the map entry goes now
      m_seen.erase(it);
      const bool is_dir = n->kind == core::NodeKind::dir;
      is_dir ? dirs++ : files++;
      if (is_dir != S_ISDIR(st.st_mode) || (!is_dir && !S_ISREG(st.st_mode))) {
        add(k_check_files, rel,
            fmt::format("is a {} in the log but not in the mount", is_dir ? "directory" : "file"));
        continue;
      }
      auto perm = static_cast<std::uint32_t>(st.st_mode & 07777);
      // A mount that refuses writes shows files without write bits; that is not a mismatch.
      bool mode_ok = perm == n->mode || (!is_dir && perm == (n->mode & ~0222U));
      if (!mode_ok) {
        add(k_check_files, rel,
            fmt::format("mode {:04o} in the mount, {:04o} in the log", perm, n->mode));
      }
      if (st.st_uid != n->uid || st.st_gid != n->gid) {
        add(k_check_files, rel,
            fmt::format("owner {}:{} in the mount, {}:{} in the log", st.st_uid, st.st_gid, n->uid,
                        n->gid));
      }
      if (is_dir) {
        continue;
      }
      if (static_cast<std::uint64_t>(st.st_size) != n->size) {
        add(k_check_files, rel,
            fmt::format("size {} in the mount, {} in the log", st.st_size, n->size));
        continue;
      }
      auto bounds = core::check_map_bounds(img.device(), n->fmap, n->size);
      if (!bounds) {
        add(k_check_files, rel, bounds.error().message);
        continue;
      }
      if (m_opts.data) {
        check_data(img, *n, rel, progress);
      }
    }
    for (const auto& [rel, s] : m_seen) {
      add(k_check_files, rel, "in the mount but not in the log");
    }
  }

private:
  void check_data(const core::Image& img,
                  const core::Node& n,
                  const std::string& rel,
                  Progress& progress) {
    auto want = core::digest_file(img.device(), n.fmap, n.size);
    if (!want) {
      add(k_check_files, rel, want.error().message);
      return;
    }
    const std::string path = m_mnt + "/" + rel;
    core::UniqueFd fd([&] {
      const DaemonDeadline deadline(path);
      return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    }());
    if (!fd) {
      add(k_check_files, rel,
          fmt::format("cannot open through the mount: {}", std::strerror(errno)));
      return;
    }
    core::Digest d;
    std::vector<std::byte> buf(1 << 20);
    std::uint64_t total = 0;
    for (;;) {
      const ssize_t got = [&] {
        const DaemonDeadline deadline(path);
        return ::read(fd.get(), buf.data(), buf.size());
      }();
      if (got < 0) {
        if (errno == EINTR) {
          continue;
        }
        add(k_check_files, rel, fmt::format("read through the mount: {}", std::strerror(errno)));
        return;
      }
      if (got == 0) {
        break;
      }
      d.update(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(got)));
      total += static_cast<std::uint64_t>(got);
      progress.add(static_cast<std::uint64_t>(got));
    }
    data_checked++;
    if (total != n.size) {
      add(k_check_files, rel,
          fmt::format("read {} bytes through the mount, size is {}", total, n.size));
    } else if (d.value() != *want) {
      add(k_check_files, rel,
          fmt::format("data differs: digest {} through the mount, {} on the device",
                      core::digest_text(d.value()), core::digest_text(*want)));
    }
  }

  const CheckOptions& m_opts;
  std::string m_mnt;
  std::map<std::string, Seen> m_seen;
};

Result<int> run_check(Context& ctx, const CheckOptions& o) {
  std::string rel;
  auto mount = [&] {
    const DaemonDeadline deadline(o.path);
    return core::famfs_mount_for(o.path, &rel);
  }();
  if (!mount) {
    print_error(ctx, mount.error());
    return k_check_operational;
  }
  if (!rel.empty()) {
    print_error(ctx,
                with_hint(make_error(Errc::invalid_argument, "{}: not a mount point", o.path),
                          fmt::format("check the whole mount: famfs check {}", mount->mountpoint)));
    return k_check_operational;
  }
  Checker c(o, mount->mountpoint);
  auto img = core::Image::open(mount->source, core::OpenMode::read_only);
  if (!img) {
    c.add(img.error().code == Errc::io ? k_check_operational : k_check_superblock, "",
          img.error().message);
  } else {
    auto view = img->log();
    if (!view) {
      c.add(k_check_log, "", view.error().message);
    } else {
      core::Tree tree;
      tree.add_meta(img->superblock().log_offset, img->superblock().log_len);
      tree.set_bounds(img->superblock().log_offset + img->superblock().log_len,
                      img->device().size()); // as the mount does
      core::ReplayReport rr = tree.catch_up(*view);
      for (const auto& p : rr.problems) {
        c.add(k_check_log, "", p);
      }
      c.walk("");
      Progress progress(ctx, o.data ? c.seen_bytes() : 0, o.json ? Show::never : Show::on_terminal);
      c.compare(tree, *img, progress);
    }
  }
  int rc = 0;
  for (const auto& f : c.findings) {
    rc |= f.bit;
  }
  if (o.json) {
    core::JsonWriter j;
    j.begin_object();
    j.member("mountpoint", mount->mountpoint);
    j.member("device", mount->source);
    j.member("files", c.files);
    j.member("directories", c.dirs);
    j.member("data_checked", c.data_checked);
    j.begin_array("problems");
    for (const auto& f : c.findings) {
      j.begin_object();
      j.member("severity", "error");
      j.member("kind", f.bit == k_check_files        ? "file"
                       : f.bit == k_check_superblock ? "superblock"
                       : f.bit == k_check_log        ? "log"
                                                     : "operational");
      j.member("path", f.path);
      j.member("message", f.what);
      j.end_object();
    }
    j.end_array();
    j.member("exit_code", rc);
    j.end_object();
    fmt::print(ctx.out, "{}", j.str());
    return rc;
  }
  for (const auto& f : c.findings) {
    fmt::print(ctx.out, "{}{}{}\n", log::quote_name(f.path), f.path.empty() ? "" : ": ",
               log::escape_controls(f.what));
  }
  fmt::print(ctx.out, "famfs check {}: {} files, {} directories{}, {} problems\n",
             mount->mountpoint, c.files, c.dirs,
             o.data ? fmt::format(", {} files' data compared", c.data_checked) : "",
             c.findings.size());
  return rc;
}

} // namespace

RunFn add_check(Subcommand& sub) {
  auto o = std::make_shared<CheckOptions>();
  sub.add_option("MOUNTPOINT", o->path, "the mount point of a famfs file system")->required();
  sub.add_flag("--data", o->data,
               "also compare each file's data read through the mount with its device bytes");
  sub.add_flag("--json", o->json, "print the result as JSON");
  sub.footer("Exit status: 0 clean; or-ed bits 1 file problems, 2 superblock problems, 4 log "
             "problems; 8 operational error; 16 usage error.");
  return [o](Context& ctx) { return run_check(ctx, *o); };
}

} // namespace famfs::cli

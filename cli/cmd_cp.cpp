// famfs cp [-r] [-t THREADS] [-m MODE] [-u UID] [-g GID] [-N -B -C] [--verify] SRC... DEST
// Copies files (and with -r, trees) into famfs. The data goes straight into the device mapping
// (never through FUSE), and a file's log entry is appended only after its data is written and
// persisted, so a file never appears half-copied.
//
// Everything is planned first in one locked session: sources examined, destinations checked,
// space allocated and log slots counted. Problems with the command as a whole (a missing
// source, a bad destination, a destination of another size, no space, log full) stop it before
// anything is written. Problems with one source (a directory without -r, an empty file, a
// special file) are reported, that source is skipped, the rest is copied, and the exit status
// is 1. Restartable: an existing destination of exactly the source size is overwritten in
// place (no new entry), so re-running an interrupted copy completes it.
//
// Destination rules follow GNU cp: an existing directory DEST receives DEST/basename(SRC)
// (with -r too); otherwise DEST names the copy, and with several sources DEST must be an
// existing directory. Files keep their own mode unless -m is given.
#include "cli/command.hpp"
#include "cli/fs_target.hpp"
#include "cli/parallel.hpp"
#include "cli/progress.hpp"
#include "core/digest.hpp"
#include "core/file_data.hpp"
#include "core/fs_ops.hpp"
#include "core/mounts.hpp"
#include "core/unique_fd.hpp"
#include "log/path.hpp"
#include "log/quote.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

namespace famfs::cli {

namespace {

using std::uint64_t;

struct CpOptions {
  std::vector<std::string> paths; // sources..., dest
  bool recursive = false;
  unsigned threads = 0; // 0: auto_threads()
  OwnerOptions owner;   // without -m, each copy keeps its source's mode
  InterleaveOptions interleave;
  bool verify = false;
  bool compare = false;     // -c: compare the sources with their famfs copies, write nothing
  bool dereference = false; // -L: follow symbolic links in the sources
  bool no_clobber = false;  // -n: leave existing destination files alone
  std::string device;
};

// One planned action, in the order it must happen.
struct Action {
  enum class Kind { dir, file } kind = Kind::file;
  std::string src; // host path
  std::string rel; // destination relpath
  std::uint64_t size = 0;
  log::Fmap fmap;
  bool queued = false; // a log entry is queued for it (new file or directory)
  core::FilePlan plan; // files: what the session planned (marked written once copied)
};

class Planner {
public:
  Planner(Context& ctx,
          const CpOptions& o,
          core::Session& s,
          const core::Owner& file_owner,
          const core::Interleave& il,
          const FsTarget& target)
      : m_ctx(ctx), m_opts(o), m_session(s), m_owner(file_owner), m_il(il), m_target(target) {}

  std::vector<Action> actions;
  std::uint64_t total_bytes = 0;
  int skipped_rc = k_exit_ok; // exit status from skipped sources
  std::uint64_t skipped = 0;  // sources famfs cannot hold (or -n kept), reported one by one
  std::uint64_t files = 0;
  std::uint64_t dirs = 0;

  // Plans copying `src` to `rel`. A fatal error stops the command.
  Result<void> plan(const std::string& src, const std::string& rel, bool top) {
    struct stat st {};
    const int r = top || m_opts.dereference ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st);
    if (r != 0) {
      return Unexpected{sys_error(errno, fmt::format("{}: cannot stat", src))};
    }
    if (S_ISDIR(st.st_mode)) {
      if (!m_opts.recursive) {
        skip(make_error(Errc::unsupported, "{}: is a directory; omitting it (use -r)", src));
        return {};
      }
      return plan_dir(src, rel, static_cast<std::uint32_t>(st.st_mode & 0777));
    }
    if (!S_ISREG(st.st_mode)) {
      skip(make_error(Errc::unsupported,
                      "{}: not a regular file or directory; famfs holds only those", src));
      return {};
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size == 0) {
      // Upstream refuses empty files too (creat and cp), so its readers never meet one.
      skip(make_error(Errc::unsupported, "{}: is empty; famfs files hold at least one byte", src));
      return {};
    }
    if (same_file(st, rel)) {
      skip(make_error(Errc::exists, "{} and {} are the same file", src, m_target.display(rel)));
      return {};
    }
    if (m_opts.no_clobber) {
      FAMFS_TRY_ASSIGN(auto parts, log::split_user_path(rel));
      if (m_session.tree().resolve(log::join_path(parts)) != nullptr) {
        return {}; // -n: an existing destination is left as it is
      }
    }
    core::FileRequest req;
    req.relpath = rel;
    req.size = size;
    req.owner = m_owner;
    if (!m_opts.owner.mode) {
      req.owner.mode = static_cast<std::uint32_t>(st.st_mode & 0777);
    }
    req.interleave = m_il;
    req.contents = core::Contents::to_write;
    auto p = m_session.add_file(req);
    if (!p) {
      Error e = std::move(p).error();
      if (e.code == Errc::exists) {
        e.message = fmt::format("{}: destination {}", src, e.message);
      }
      return Unexpected{std::move(e)};
    }
    actions.push_back(Action{Action::Kind::file, src, p->relpath, size, p->fmap, !p->existing, *p});
    total_bytes += size;
    files++;
    return {};
  }

private:
  // A source that cannot be copied: reported, skipped, and the copy is partial.
  void skip(const Error& e) {
    print_error(m_ctx, e);
    skipped++;
    skipped_rc = k_exit_partial;
  }

  // `st` (a source) is the file that `rel` names in the mount (copying a famfs file onto
  // itself, as GNU cp refuses).
  bool same_file(const struct stat& st, const std::string& rel) const {
    if (m_target.mountpoint().empty()) {
      return false;
    }
    struct stat d {};
    const std::string dest =
        rel.empty() ? m_target.mountpoint() : m_target.mountpoint() + "/" + rel;
    return ::stat(dest.c_str(), &d) == 0 && d.st_dev == st.st_dev && d.st_ino == st.st_ino;
  }

  Result<void> plan_dir(const std::string& src, const std::string& rel, std::uint32_t mode) {
    FAMFS_TRY_ASSIGN(auto parts, log::split_user_path(rel));
    const core::Node* existing = m_session.tree().resolve(log::join_path(parts));
    if (existing != nullptr && existing->kind == core::NodeKind::file) {
      return fail(Errc::exists, "{}: cannot copy a directory onto the file {}", src,
                  m_target.display(rel));
    }
    if (existing == nullptr) {
      core::Owner owner = m_owner;
      owner.mode = mode;
      FAMFS_TRY_ASSIGN(auto made, m_session.add_dir(rel, owner, core::Parents::no));
      for (const auto& m : made) {
        actions.push_back(Action{Action::Kind::dir, src, m, 0, {}, true, {}});
        dirs++;
      }
    }
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(src.c_str()), &::closedir);
    if (!d) {
      return Unexpected{sys_error(errno, fmt::format("{}: cannot list", src))};
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d.get())) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        names.push_back(std::move(n));
      }
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      struct stat st {};
      if (!m_opts.dereference && ::lstat((src + "/" + n).c_str(), &st) == 0
          && S_ISLNK(st.st_mode)) {
        skip(make_error(Errc::unsupported,
                        "{}/{}: is a symbolic link; famfs has none (-L copies what it points to)",
                        src, n));
        continue;
      }
      FAMFS_TRY(plan(src + "/" + n, child, false));
    }
    return {};
  }

  Context& m_ctx;
  const CpOptions& m_opts;
  core::Session& m_session;
  core::Owner m_owner;
  core::Interleave m_il;
  const FsTarget& m_target;
};

// The name a source has inside a destination directory: its last component, resolving "."
// and ".." and ignoring trailing slashes.
std::string base_name(const std::string& src) {
  std::filesystem::path p = std::filesystem::path(src).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) {
    name = p.parent_path().filename().string();
  }
  if (name.empty() || name == "." || name == "..") {
    name = std::filesystem::path(core::real_path(src)).filename().string();
  }
  return name;
}

Result<std::uint64_t> digest_source(const std::string& path, std::uint64_t size) {
  core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return sys_error(errno, path);
  }
  core::Digest d;
  std::vector<std::byte> buf(4 << 20);
  std::uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd.get(), buf.data(), std::min<std::uint64_t>(buf.size(), size - done),
                        static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return sys_error(errno, path);
    }
    if (n == 0) {
      return fail(Errc::io, "{}: the source ended early", path);
    }
    d.update(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
    done += static_cast<std::uint64_t>(n);
  }
  return d.value();
}

// Compares each planned file's famfs copy with its source (XXH3 of both); k_exit_failure when
// one differs or cannot be read.
int compare_copies(Context& ctx,
                   const std::vector<Action>& actions,
                   const core::Device& dev,
                   const FsTarget& target) {
  int rc = k_exit_ok;
  std::uint64_t same = 0;
  for (const auto& a : actions) {
    if (a.kind != Action::Kind::file) {
      continue;
    }
    auto want = digest_source(a.src, a.size);
    auto got = core::digest_file(dev, a.fmap, a.size);
    if (!want || !got) {
      print_error(ctx, !want ? want.error() : with_context(got.error(), target.display(a.rel)));
      rc = k_exit_failure;
      continue;
    }
    if (*want != *got) {
      print_error(ctx, make_error(Errc::corrupt,
                                  "{}: differs from {} (digest {} in famfs, {} in the source)",
                                  target.display(a.rel), a.src, core::digest_text(*got),
                                  core::digest_text(*want)));
      rc = k_exit_failure;
      continue;
    }
    same++;
  }
  if (ctx.verbose > 0) {
    fmt::print(ctx.out, "verified {} files (XXH3)\n", same);
  }
  return rc;
}

// cp -c (upstream's compare mode): every destination must exist with the source's size (as a
// restarted copy would find it); nothing is written.
Result<int> run_compare(Context& ctx,
                        const std::vector<Action>& actions,
                        const core::Device& dev,
                        const FsTarget& target,
                        int rc) {
  for (const auto& a : actions) {
    if (a.queued) {
      print_error(ctx, make_error(Errc::not_found, "{}: not in famfs; nothing to compare {} with",
                                  target.display(a.rel), a.src));
      rc = k_exit_failure;
    }
  }
  std::vector<Action> existing;
  std::copy_if(actions.begin(), actions.end(), std::back_inserter(existing),
               [](const Action& a) { return !a.queued; });
  return compare_copies(ctx, existing, dev, target) != k_exit_ok ? k_exit_failure : rc;
}

// Flush entries after this much unlogged data (or this many files): an interrupted copy loses
// at most that much work, and a big tree still costs about one entry write per file.
constexpr std::uint64_t k_commit_bytes = 256ULL << 20;
constexpr std::uint64_t k_commit_files = 256;

// The default number of copy threads: one per CPU, at most 8 (memory bandwidth is shared).
unsigned auto_threads() {
  return std::min(default_threads(), 8U);
}

// Executes a plan in order, batch by batch: directory entries before anything inside them, a
// file's entry only after its data is persisted. The files of a batch are copied on up to
// `threads` threads (a file alone in its batch gets them all, 64 MiB pieces each); then the
// entries of the batch are appended. When a file fails, the files before it are logged (they
// are complete), nothing after it is, and the command stops.
class Copier {
public:
  Copier(
      Context& ctx, core::Session& s, const FsTarget& target, Progress& progress, unsigned threads)
      : m_ctx(ctx), m_session(s), m_target(target), m_progress(progress), m_threads(threads) {}

  Result<void> run(const std::vector<Action>& actions) {
    std::size_t first = 0;
    std::uint64_t queued = 0;
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      queued += actions[i].queued ? 1 : 0;
      bytes += actions[i].size;
      if (bytes >= k_commit_bytes || queued >= k_commit_files || i + 1 == actions.size()) {
        FAMFS_TRY(batch(std::span(actions).subspan(first, i + 1 - first)));
        first = i + 1;
        queued = 0;
        bytes = 0;
      }
    }
    return {};
  }

private:
  Result<void> batch(std::span<const Action> acts) {
    std::vector<std::size_t> files;
    for (std::size_t i = 0; i < acts.size(); ++i) {
      if (acts[i].kind == Action::Kind::file) {
        files.push_back(i);
      }
    }
    std::vector<std::optional<Error>> errors(files.size());
    std::vector<char> done(files.size(), 0);
    std::atomic<bool> stop{false};
    const unsigned each = std::max<unsigned>(1, m_threads / std::max<std::size_t>(1, files.size()));
    parallel_for(files.size(), m_threads, [&](std::size_t k) {
      if (stop.load()) {
        return; // after a failure, start no more
      }
      if (auto r = copy_file(acts[files[k]], each); !r) {
        errors[k] = std::move(r).error();
        stop.store(true);
      } else {
        done[k] = 1;
      }
    });
    // Entries in plan order up to the first file not copied.
    std::uint64_t ready = 0;
    std::size_t k = 0;
    for (const auto& a : acts) {
      if (a.kind == Action::Kind::file) {
        if (done[k] == 0) {
          (void)m_session.commit(ready); // the files copied so far are complete: log them
          return Unexpected{std::move(**std::find_if(errors.begin(), errors.end(),
                                                     [](const auto& e) { return e.has_value(); }))};
        }
        ++k;
        FAMFS_TRY(m_session.mark_written(a.plan));
        if (m_ctx.verbose > 0) {
          fmt::print(m_ctx.out, "{} -> {}\n", a.src, m_target.display(a.rel));
        }
      }
      ready += a.queued ? 1 : 0;
    }
    return m_session.commit(ready);
  }

  // Copies one file's data on `threads` threads and persists it (any thread).
  Result<void> copy_file(const Action& a, unsigned threads) {
    core::UniqueFd fd(::open(a.src.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      return Unexpected{sys_error(errno, a.src)};
    }
    core::CopyOptions co;
    co.threads = threads;
    const std::uint64_t base = m_copied.load();
    co.progress = [&](std::uint64_t d) { report(base + d); };
    if (auto c = core::copy_into(m_session.image().device(), a.fmap, a.size, fd.get(), co); !c) {
      return Unexpected{with_context(c.error(), a.src)};
    }
    report(m_copied.fetch_add(a.size) + a.size);
    return {};
  }

  // Progress from any thread: the most reached so far (files finish out of order).
  void report(std::uint64_t done) {
    std::lock_guard lock(m_progress_mutex);
    m_shown = std::max(m_shown, done);
    m_progress.update(m_shown);
  }

  Context& m_ctx;
  core::Session& m_session;
  const FsTarget& m_target;
  Progress& m_progress;
  unsigned m_threads;
  std::atomic<std::uint64_t> m_copied{0}; // bytes of files copied completely
  std::mutex m_progress_mutex;
  std::uint64_t m_shown = 0; // under m_progress_mutex
};

// GNU cp's rule: a directory is never copied into itself or below itself (the copy would read
// what it writes and grow until the device is full). `rel` is where `src` would go.
Result<void>
check_not_into_itself(const std::string& src, const std::string& rel, const FsTarget& target) {
  struct stat st {};
  if (::stat(src.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return {};
  }
  std::string srel;
  auto m = core::famfs_mount_for(src, &srel);
  if (!m || core::real_path(m->source) != core::real_path(target.device())) {
    return {};
  }
  if (srel.empty() || rel == srel || rel.starts_with(srel + "/")) {
    return fail(Errc::invalid_argument, "cannot copy a directory, {}, into itself, {}",
                log::quote_name(src), target.display(rel));
  }
  return {};
}

// Whether DEST is an existing directory; an error when it must be one and is not (several
// sources, or a trailing slash).
Result<bool> dest_is_directory(const core::Session& session,
                               const std::string& drel,
                               const std::string& dest,
                               std::size_t nsources) {
  const core::Node* dnode = session.tree().resolve(drel);
  const bool dest_is_dir = dnode != nullptr && dnode->kind == core::NodeKind::dir;
  if (!dest_is_dir) {
    if (nsources > 1) {
      return fail(dnode == nullptr ? Errc::not_found : Errc::exists,
                  "{}: {}; copying several sources needs an existing directory", dest,
                  dnode == nullptr ? "does not exist" : "is a file");
    }
    if (dest.back() == '/') {
      return fail(dnode == nullptr ? Errc::not_found : Errc::exists, "{}: {}", dest,
                  dnode == nullptr ? "no such directory" : "is not a directory");
    }
  }
  return dest_is_dir;
}

// After the copy: the partial-copy summary, and --verify; the exit code.
int finish(Context& ctx,
           const CpOptions& o,
           const Planner& planner,
           const core::Device& dev,
           const FsTarget& target) {
  int rc = planner.skipped_rc;
  if (planner.skipped > 0) {
    print_warning(ctx, fmt::format("partial copy: {} files and {} directories copied; {} skipped "
                                   "(named above)",
                                   planner.files, planner.dirs, planner.skipped));
  }
  if (o.verify) {
    if (compare_copies(ctx, planner.actions, dev, target) != k_exit_ok) {
      rc = k_exit_failure; // a bad copy outranks a partial one
    }
  }
  return rc;
}

Result<int> run_cp(Context& ctx, const CpOptions& o) {
  if (o.paths.size() < 2) {
    return fail(Errc::invalid_argument, "need a source and a destination (SRC... DEST)");
  }
  FAMFS_TRY_ASSIGN(auto owner, o.owner.get(0)); // mode 0: replaced by each source's own
  FAMFS_TRY_ASSIGN(auto il, o.interleave.get());
  const std::vector<std::string> sources(o.paths.begin(), o.paths.end() - 1);
  const std::string& dest = o.paths.back();
  FsTarget target(o.device);
  FAMFS_TRY_ASSIGN(auto dest_rel, target.relpath_inside(dest));
  FAMFS_TRY_ASSIGN(auto dest_parts, log::split_user_path(dest_rel));
  const std::string drel = log::join_path(dest_parts);

  // Interleave parameters are checked once, against this file system, before any source is.
  FAMFS_TRY_ASSIGN(core::Session session, open_write_session(target, &il));
  FAMFS_TRY_ASSIGN(const bool dest_is_dir, dest_is_directory(session, drel, dest, sources.size()));
  Planner planner(ctx, o, session, owner, il, target);
  for (const auto& src : sources) {
    std::string rel = drel;
    if (dest_is_dir) {
      rel = drel.empty() ? base_name(src) : drel + "/" + base_name(src);
    }
    if (o.recursive) {
      FAMFS_TRY(check_not_into_itself(src, rel, target));
    }
    FAMFS_TRY(planner.plan(src, rel, true));
  }
  FAMFS_TRY(session.check_log_space());

  const core::Device& dev = session.image().device();
  if (o.compare) {
    return run_compare(ctx, planner.actions, dev, target, planner.skipped_rc);
  }
  Progress progress(ctx, planner.total_bytes, Show::on_terminal);
  Copier copier{ctx, session, target, progress, o.threads == 0 ? auto_threads() : o.threads};
  FAMFS_TRY(copier.run(planner.actions));
  return finish(ctx, o, planner, dev, target);
}

} // namespace

RunFn add_cp(Subcommand& sub) {
  auto o = std::make_shared<CpOptions>();
  sub.add_flag("-r,--recursive", o->recursive, "copy directories and their contents");
  sub.add_option("-t,--threads,--threadct", o->threads,
                 "copy threads: the files of a tree in parallel, and 64 MiB pieces of a large file "
                 "(1 to 256; default: one per CPU, at most 8)")
      ->check(range(1, 256));
  o->owner.add_to(sub,
                  "permission bits of the copies, octal 0 to 0777 (default: each source's own)");
  o->interleave.add_to(sub);
  sub.add_flag("-L,--dereference", o->dereference,
               "follow symbolic links in the sources (without it they are skipped)");
  sub.add_flag("-n,--no-clobber", o->no_clobber, "leave existing destination files alone");
  sub.add_flag("-c,--compare", o->compare,
               "compare each source with its existing famfs copy and write nothing; exit 1 when "
               "one differs or is missing (upstream's cp -c)");
  sub.add_flag("--verify", o->verify,
               "afterwards, compare XXH3 digests of each source and its copy");
  add_device_option(sub, o->device, "DEST");
  sub.add_option("PATHS", o->paths, "SRC... DEST")->required();
  return [o](Context& ctx) { return run_cp(ctx, *o); };
}

} // namespace famfs::cli

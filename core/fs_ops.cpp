#include "core/fs_ops.hpp"

#include "log/path.hpp"

#include <fmt/format.h>

namespace famfs::core {

Result<Tree> load_tree(const Image& img, ReplayReport* report) {
  FAMFS_TRY_ASSIGN(log::LogView view, img.log());
  Tree tree;
  tree.add_meta(img.superblock().log_offset, img.superblock().log_len);
  tree.set_bounds(img.superblock().log_offset + img.superblock().log_len, img.device().size());
  ReplayReport r = tree.catch_up(view);
  if (report != nullptr) {
    *report = std::move(r);
  }
  return tree;
}

Session::Session(Image img, LogWriter w, const Geometry& g, u64 seed)
    : m_img(std::move(img)), m_writer(std::move(w)), m_alloc(g, seed) {}

Result<Session> Session::open(Image image, u64 seed) {
  FAMFS_TRY_ASSIGN(LogWriter w, LogWriter::open(image));
  FAMFS_TRY_ASSIGN(log::LogView view, w.view(image));
  const Geometry g = geometry_of(image.superblock(), image.device().size());
  Session s(std::move(image), std::move(w), g, seed);
  const Image& img = s.m_img;
  s.m_tree.add_meta(img.superblock().log_offset, img.superblock().log_len);
  ReplayReport scratch;
  img.device().invalidate(img.superblock().log_offset + log::entry_offset(0),
                          view.size() * log::k_log_entry_size);
  for (u64 i = 0; i < view.size(); ++i) {
    auto e = view.entry(i);
    if (!e) {
      return Unexpected{with_hint(
          with_context(std::move(e).error(), img.device().path()),
          "famfs will not allocate past a damaged log entry; run famfs fsck on the device")};
    }
    s.m_tree.apply(i, *e, scratch);
    if (e->type == log::EntryType::file) {
      s.m_alloc.mark(std::get<log::FileEntry>(e->body).fmap);
    }
  }
  s.m_next_index = view.size();
  return s;
}

Result<u64> Session::parent_of(const std::vector<std::string>& parts, std::string_view rel) const {
  u64 parent = k_root_ino;
  std::vector<std::string> prefix;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    prefix.push_back(parts[i]);
    const Node* p = m_tree.lookup(parent, parts[i]);
    if (p == nullptr) {
      return fail(Errc::not_found, "{}: parent directory {} does not exist", rel,
                  log::join_path(prefix));
    }
    if (p->kind != NodeKind::dir) {
      return fail(Errc::not_found, "{}: {} is not a directory", rel, log::join_path(prefix));
    }
    parent = p->ino;
  }
  return parent;
}

namespace {

// Only log::k_mode_bits are written: the rule of log::mode_problem, for every command.
Result<void> check_mode(const Owner& owner, std::string_view rel) {
  if (auto why = log::mode_problem(owner.mode); !why.empty()) {
    return fail(Errc::invalid_argument, "{}: {}", rel, why);
  }
  return {};
}

} // namespace

u64 Session::apply_queued(const log::LogEntry& e, Contents contents) {
  ReplayReport scratch;
  const Applied a = m_tree.apply(m_next_index, e, scratch);
  FAMFS_ASSERT(a == Applied::created);
  m_queue.push_back(Queued{e, contents == Contents::as_allocated});
  return m_next_index++;
}

Result<void> Session::mark_written(const FilePlan& plan) {
  if (plan.existing) {
    return {};
  }
  const u64 first = m_next_index - m_queue.size();
  if (plan.log_index < first || plan.log_index >= m_next_index) {
    return fail(Errc::internal, "{}: no queued log entry {} to mark written", plan.relpath,
                plan.log_index);
  }
  m_queue[plan.log_index - first].written = true;
  return {};
}

Result<FilePlan> Session::add_file(const FileRequest& req) {
  if (m_broken) {
    return fail(Errc::internal, "the append session failed earlier");
  }
  FAMFS_TRY_ASSIGN(auto parts, log::split_user_path(req.relpath));
  const std::string rel = log::join_path(parts);
  FAMFS_TRY(check_mode(req.owner, rel));
  if (parts.empty()) {
    return fail(Errc::exists, "{}: is the file system root, a directory",
                req.relpath.empty() ? "/" : req.relpath);
  }
  FAMFS_TRY(log::check_unreserved(rel));
  FAMFS_TRY_ASSIGN(u64 parent, parent_of(parts, rel));
  if (const Node* n = m_tree.lookup(parent, parts.back())) {
    if (n->kind == NodeKind::dir) {
      return fail(Errc::exists, "{}: is a directory", rel);
    }
    if (req.size != 0 && req.size != n->size) {
      return fail(Errc::exists, "{}: exists with size {}, not {}", rel, n->size, req.size);
    }
    return FilePlan{rel, n->size, n->fmap, true};
  }
  if (req.size == 0) {
    return fail(Errc::invalid_argument, "{}: a new file needs a size greater than 0", rel);
  }
  FAMFS_TRY_ASSIGN(Interleave il, validate_interleave(req.interleave, geometry()));
  log::FileEntry f;
  f.size = req.size;
  f.flags = log::k_fm_all_hosts_rw;
  f.uid = req.owner.uid;
  f.gid = req.owner.gid;
  f.mode = req.owner.mode;
  f.relpath = rel;
  auto fmap = req.fmap ? Result<log::Fmap>(*req.fmap) : m_alloc.allocate(req.size, il);
  if (!fmap) {
    return with_context(std::move(fmap).error(), rel);
  }
  f.fmap = *fmap;
  log::LogEntry e;
  e.type = log::EntryType::file;
  e.body = f;
  if (auto v = log::validate_for_encoding(e); !v) {
    if (!req.fmap) {
      m_alloc.release(f.fmap);
    }
    return with_context(std::move(v).error(), rel);
  }
  const u64 index = apply_queued(e, req.contents);
  return FilePlan{rel, req.size, f.fmap, false, index};
}

Result<std::vector<std::string>> Session::add_dir(std::string_view relpath,
                                                  const Owner& owner,
                                                  Parents parents,
                                                  const std::optional<Owner>& parents_owner) {
  if (m_broken) {
    return fail(Errc::internal, "the append session failed earlier");
  }
  FAMFS_TRY_ASSIGN(auto parts, log::split_user_path(relpath));
  const std::string rel = log::join_path(parts);
  FAMFS_TRY(check_mode(owner, rel));
  if (parents_owner) {
    FAMFS_TRY(check_mode(*parents_owner, rel));
  }
  std::vector<std::string> made;
  if (parts.empty()) {
    if (parents == Parents::yes) {
      return made;
    }
    return fail(Errc::exists, "{}: is the file system root, which exists",
                relpath.empty() ? "/" : relpath);
  }
  FAMFS_TRY(log::check_unreserved(rel));
  // Check every level before queuing any, so that a failure queues nothing.
  u64 parent = k_root_ino;
  std::size_t first_missing = parts.size();
  std::vector<std::string> prefix;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    prefix.push_back(parts[i]);
    const Node* n = m_tree.lookup(parent, parts[i]);
    const bool last = i + 1 == parts.size();
    if (n == nullptr) {
      if (!last && parents == Parents::no) {
        return fail(Errc::not_found, "{}: parent directory {} does not exist", rel,
                    log::join_path(prefix));
      }
      first_missing = i;
      break;
    }
    if (n->kind != NodeKind::dir) {
      if (last) {
        return fail(Errc::exists, "{}: exists and is not a directory", rel);
      }
      return fail(Errc::not_found, "{}: {} is not a directory", rel, log::join_path(prefix));
    }
    if (last && parents == Parents::no) {
      return fail(Errc::exists, "{}: directory exists", rel);
    }
    parent = n->ino;
  }
  std::vector<std::string> level(parts.begin(),
                                 parts.begin() + static_cast<std::ptrdiff_t>(first_missing));
  for (std::size_t i = first_missing; i < parts.size(); ++i) {
    level.push_back(parts[i]);
    const Owner& o = i + 1 < parts.size() && parents_owner ? *parents_owner : owner;
    log::LogEntry e;
    e.type = log::EntryType::mkdir;
    e.body = log::MkdirEntry{o.uid, o.gid, o.mode, log::join_path(level)};
    made.push_back(log::join_path(level));
    apply_queued(e, Contents::as_allocated);
  }
  return made;
}

Result<void> Session::check_log_space() const {
  return m_writer.reserve(m_queue.size());
}

Result<void> Session::commit(u64 n) {
  FAMFS_ASSERT(n <= m_queue.size());
  if (m_broken) {
    return fail(Errc::internal, "the append session failed earlier");
  }
  if (n == 0) {
    return {};
  }
  std::vector<log::LogEntry> batch;
  batch.reserve(n);
  for (u64 i = 0; i < n; ++i) {
    const Queued& q = m_queue[i];
    if (!q.written) {
      // A caller bug, refused before anything is written: the entry would make the file visible
      // (to mounts, to other hosts) before its data is there.
      return fail(Errc::internal,
                  "{}: the file's data is not written yet; its log entry must "
                  "follow its data",
                  std::get<log::FileEntry>(q.entry.body).relpath);
    }
    batch.push_back(q.entry);
  }
  auto r = m_writer.append_batch(m_img, batch);
  if (!r) {
    // Nothing of the batch is visible (append_batch writes nothing on error), but the tree
    // already holds it; refuse further work in this session.
    m_broken = true;
    return Unexpected{std::move(r).error()};
  }
  m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(n));
  return {};
}

} // namespace famfs::core

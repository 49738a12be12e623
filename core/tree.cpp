#include "core/tree.hpp"

#include "log/fmap.hpp"
#include "log/path.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace famfs::core {

Tree::Tree() {
  Node root;
  root.ino = k_root_ino;
  root.parent = k_root_ino;
  root.kind = NodeKind::dir;
  root.mode = 0755;
  m_nodes.push_back(std::move(root));
}

// Adds a node that find_child() did not find.
u64 Tree::add_node(u64 parent, std::string name, NodeKind kind) {
  Node n;
  n.ino = m_nodes.size() + 1;
  n.parent = parent;
  n.kind = kind;
  n.name = std::move(name);
  Node& p = m_nodes[parent - 1];
  p.children.push_back(n.ino);
  if (kind == NodeKind::dir) {
    p.subdirs++; // kept here so that GETATTR's nlink is O(1), not a walk over the children
  }
  FAMFS_ASSERT(n.ino <= ~IdIndex::Id{0});
  m_names.insert(name_hash(n.name, parent), static_cast<IdIndex::Id>(n.ino));
  m_nodes.push_back(std::move(n));
  return m_nodes.size();
}

u64 Tree::find_child(u64 parent, std::string_view name) const {
  return m_names.find(name_hash(name, parent), [&](IdIndex::Id id) {
    const Node& n = m_nodes[id - 1];
    return n.parent == parent && n.name == name;
  });
}

std::vector<const Node*> Tree::sorted_children(const Node& dir) const {
  std::vector<const Node*> out;
  out.reserve(dir.children.size());
  for (u64 ino : dir.children) {
    out.push_back(&m_nodes[ino - 1]);
  }
  std::sort(out.begin(), out.end(), [](const Node* a, const Node* b) { return a->name < b->name; });
  return out;
}

void Tree::add_meta(u64 log_offset, u64 log_len) {
  u64 meta = add_node(k_root_ino, std::string(log::k_meta_dir), NodeKind::dir);
  m_nodes[meta - 1].mode = 0755;
  m_nodes[meta - 1].meta = true;
  auto add_file = [&](const char* name, u64 off, u64 len) {
    u64 ino = add_node(meta, name, NodeKind::file);
    Node& n = m_nodes[ino - 1];
    n.mode = 0444;
    n.size = len;
    n.meta = true;
    n.fmap.type = log::ExtType::simple;
    n.fmap.extents.push_back(log::Extent{0, off, len});
  };
  add_file(".superblock", 0, log::k_superblock_region);
  add_file(".log", log_offset, log_len);
}

void Tree::set_bounds(u64 reserved_end, u64 dev_size) {
  m_reserved_end = reserved_end;
  m_dev_size = dev_size;
}

const Node* Tree::get(u64 ino) const {
  if (ino == 0 || ino > m_nodes.size()) {
    return nullptr;
  }
  return &m_nodes[ino - 1];
}

Node* Tree::get_mut(u64 ino) {
  if (ino == 0 || ino > m_nodes.size()) {
    return nullptr;
  }
  return &m_nodes[ino - 1];
}

const Node* Tree::lookup(u64 parent, std::string_view name) const {
  const Node* p = get(parent);
  if (p == nullptr || p->kind != NodeKind::dir) {
    return nullptr;
  }
  if (name == ".") {
    return p;
  }
  if (name == "..") {
    return get(p->parent);
  }
  return get(find_child(p->ino, name));
}

const Node* Tree::resolve(std::string_view relpath) const {
  const Node* n = get(k_root_ino);
  std::size_t i = 0;
  while (n != nullptr && i < relpath.size()) {
    std::size_t j = relpath.find('/', i);
    if (j == std::string::npos) {
      j = relpath.size();
    }
    if (j > i) {
      n = lookup(n->ino, relpath.substr(i, j - i));
    }
    i = j + 1;
  }
  return n;
}

std::string Tree::path_of(u64 ino) const {
  std::vector<const std::string*> parts;
  const Node* n = get(ino);
  while (n != nullptr && n->ino != k_root_ino) {
    parts.push_back(&n->name);
    n = get(n->parent);
  }
  std::string s;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!s.empty()) {
      s += '/';
    }
    s += **it;
  }
  return s;
}

std::string Tree::map_problem(const log::FileEntry& f, bool& refuse) const {
  refuse = false;
  for (const auto& x : f.fmap.extents) {
    if (x.devindex == 0 && x.offset < m_reserved_end) {
      refuse = true;
      return fmt::format("extent [{:#x}, +{:#x}) overlaps the superblock and log [0, {:#x})",
                         x.offset, x.len, m_reserved_end);
    }
  }
  for (const auto& x : f.fmap.extents) {
    if (x.devindex != 0) {
      continue; // a secondary device: its size is not known here
    }
    if (x.offset > m_dev_size || x.len > m_dev_size - x.offset) {
      return fmt::format("extent [{:#x}, +{:#x}) runs past the end of the device ({} bytes)",
                         x.offset, x.len, m_dev_size);
    }
  }
  // Every extent is now inside the device, so the sum cannot overflow for a sane count.
  if (const u64 holds = log::addressable(f.fmap); f.size > holds) {
    return fmt::format("size {} is more than its extents hold ({} bytes)", f.size, holds);
  }
  return {};
}

Result<u64>
Tree::admit(const std::string& relpath, const log::FileEntry* f, std::string& map_trouble) {
  FAMFS_TRY(log::split_relpath_into(relpath, m_parts));
  // .meta holds the tree's own files: an entry naming it or anything inside is not applied.
  if (log::is_reserved(m_parts.front())) {
    return Unexpected{log::check_unreserved(log::join_path(m_parts)).error()};
  }
  if (f != nullptr) {
    for (const auto& x : f->fmap.extents) {
      if (x.offset == 0) {
        return fail(Errc::corrupt, "{}: extent at offset 0", relpath);
      }
    }
  }
  if (f != nullptr && m_dev_size != 0) {
    bool refuse = false;
    map_trouble = map_problem(*f, refuse);
    if (refuse) {
      return fail(Errc::corrupt, "{}: {}", relpath, map_trouble);
    }
  }
  // Walk to the parent, which must exist and be a directory.
  u64 parent = k_root_ino;
  for (std::size_t i = 0; i + 1 < m_parts.size(); ++i) {
    const Node* p = lookup(parent, m_parts[i]);
    if (p == nullptr) {
      return fail(Errc::corrupt, "{}: parent directory {} does not exist", relpath, m_parts[i]);
    }
    if (p->kind != NodeKind::dir) {
      return fail(Errc::corrupt, "{}: {} is not a directory", relpath, m_parts[i]);
    }
    parent = p->ino;
  }
  return parent;
}

Applied Tree::apply(u64 index, const log::LogEntry& e, ReplayReport& report) {
  return apply_entry(index, e, nullptr, report);
}

Applied Tree::apply(u64 index, log::LogEntry&& e, ReplayReport& report) {
  auto* f = std::get_if<log::FileEntry>(&e.body);
  return apply_entry(index, e, f != nullptr ? &f->fmap : nullptr, report);
}

Applied
Tree::apply_entry(u64 index, const log::LogEntry& e, log::Fmap* take_fmap, ReplayReport& report) {
  const bool is_file = e.type == log::EntryType::file;
  const bool is_dir = e.type == log::EntryType::mkdir;
  if (!is_file && !is_dir) {
    return Applied::ignored;
  }
  const std::string& relpath = is_file ? std::get<log::FileEntry>(e.body).relpath
                                       : std::get<log::MkdirEntry>(e.body).relpath;
  auto problem = [&](std::string what) {
    report.problems.push_back(fmt::format("log entry {}: {}", index, what));
    (is_file ? report.file_errors : report.dir_errors)++;
    return Applied::error;
  };
  // m_parts views into relpath, which stays put (only the map is moved, and only below).
  std::string map_trouble; // reported once the file is applied
  auto parent = admit(relpath, is_file ? &std::get<log::FileEntry>(e.body) : nullptr, map_trouble);
  if (!parent) {
    return problem(std::move(parent).error().message);
  }
  const std::string_view name = m_parts.back(); // never "." or "..": split_relpath drops them
  if (const u64 at = find_child(*parent, name); at != 0) {
    const Node& existing = m_nodes[at - 1];
    if ((existing.kind == NodeKind::dir) == is_dir) {
      report.existed++;
      return Applied::existed; // the first entry for a path wins
    }
    return problem(fmt::format("{}: exists as a {}", relpath,
                               existing.kind == NodeKind::dir ? "directory" : "file"));
  }
  const u64 ino = add_node(*parent, std::string(name), is_file ? NodeKind::file : NodeKind::dir);
  Node& n = m_nodes[ino - 1];
  n.log_index = index;
  if (is_file) {
    const auto& f = std::get<log::FileEntry>(e.body);
    n.mode = f.mode & log::k_mode_bits; // fsck reports the other bits
    n.uid = f.uid;
    n.gid = f.gid;
    n.size = f.size;
    n.fmap = take_fmap != nullptr ? std::move(*take_fmap) : f.fmap;
    m_files++;
    report.new_files++;
  } else {
    const auto& m = std::get<log::MkdirEntry>(e.body);
    n.mode = m.mode & log::k_mode_bits;
    n.uid = m.uid;
    n.gid = m.gid;
    m_dirs++;
    report.new_dirs++;
  }
  if (report.keep_created) {
    report.created.push_back(log::join_path(m_parts));
  }
  if (!map_trouble.empty()) {
    report.problems.push_back(fmt::format("log entry {}: {}: {}", index, relpath, map_trouble));
    report.file_errors++;
  }
  return Applied::created;
}

ReplayReport Tree::catch_up(const log::LogView& log, u64 max_entries, KeepCreated keep) {
  ReplayReport report;
  report.keep_created = keep == KeepCreated::yes;
  const u64 end = log.size() - std::min<u64>(log.size(), m_applied) > max_entries
                      ? m_applied + max_entries
                      : log.size();
  if (m_applied < end) {
    // Room for one node per entry, growing geometrically so that following a log one entry at
    // a time does not copy the whole table each time.
    const u64 want = m_nodes.size() + (end - m_applied);
    if (want > m_nodes.capacity()) {
      m_nodes.reserve(std::max<u64>(want, 2 * m_nodes.capacity()));
      m_names.reserve(m_nodes.capacity());
    }
    if (report.keep_created) {
      report.created.reserve(end - m_applied);
    }
  }
  while (m_applied < end) {
    auto e = log.entry(m_applied);
    if (!e) {
      report.stopped = true;
      report.problems.push_back(e.error().message);
      break;
    }
    report.entries++;
    apply(m_applied, std::move(*e), report);
    m_applied++;
  }
  return report;
}

} // namespace famfs::core

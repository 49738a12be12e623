// core::Tree, the replay every consumer depends on (the mount, the writer's session, logplay):
// one row per rule, {entries, expected tree, expected problems}.
#include "core/tree.hpp"
#include "tests/support/log_entries.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

using namespace famfs;
using namespace famfs::core;
using famfs::test::dir_entry;
using famfs::test::file_entry;
using famfs::test::simple;

namespace {

constexpr u64 k_mib = 1ULL << 20;
constexpr u64 k_log_len = 8 * k_mib;
constexpr u64 k_reserved_end = 2 * k_mib + k_log_len; // superblock and log
constexpr u64 k_dev_size = 64 * k_mib;
constexpr u64 k_data = k_reserved_end; // the first byte a file may use

log::LogEntry file_at(std::string path, u64 size, u64 off = k_data, u64 len = 2 * k_mib) {
  return file_entry(std::move(path), size, simple({{0, off, len}}));
}

// The tree as lines "path/" (directory) or "path size" (file), depth first in name order,
// without .meta's two files (checked in their own row).
void list(const Tree& t, u64 ino, std::vector<std::string>& out) {
  const Node* n = t.get(ino);
  for (const Node* c : t.sorted_children(*n)) {
    const std::string p = t.path_of(c->ino);
    if (c->kind == NodeKind::dir) {
      out.push_back(p + "/");
      list(t, c->ino, out);
    } else if (!c->meta) {
      out.push_back(fmt::format("{} {}", p, c->size));
    }
  }
}

struct TreeRow {
  const char* rule;
  std::vector<log::LogEntry> entries;
  std::vector<std::string> tree; // besides ".meta/"
  std::vector<std::string> problems;
  bool bounds = false; // set_bounds(k_reserved_end, k_dev_size) before replaying
};

std::vector<TreeRow> rows() {
  return {
      {"an empty log", {}, {}, {}},
      {"a directory, then a file in it",
       {dir_entry("d"), file_at("d/f", 10)},
       {"d/", "d/f 10"},
       {}},
      {"paths are normalised",
       {dir_entry("d/"), file_at("./d//f", 10), dir_entry("e"), file_at("d/../e/g", 20)},
       {"d/", "d/f 10", "e/", "e/g 20"},
       {}},
      {"a file before its parent",
       {file_at("d/f", 10), dir_entry("d")},
       {"d/"},
       {"log entry 0: d/f: parent directory d does not exist"}},
      {"a parent that is a file",
       {file_at("a", 10), dir_entry("a/b")},
       {"a 10"},
       {"log entry 1: a/b: a is not a directory"}},
      {"the first entry for a path wins",
       {file_at("a", 10), file_at("a", 20), dir_entry("d"), dir_entry("d")},
       {"a 10", "d/"},
       {}},
      {"a directory over a file, and a file over a directory",
       {file_at("a", 10), dir_entry("a"), dir_entry("d"), file_at("d", 5)},
       {"a 10", "d/"},
       {"log entry 1: a: exists as a file", "log entry 3: d: exists as a directory"}},
      {"'..' escaping the root, an absolute path, the root itself",
       {file_at("../x", 1), dir_entry("/abs"), dir_entry("a/..")},
       {},
       {"log entry 0: ../x: path escapes the file system root",
        "log entry 1: /abs: path is not relative to the file system root",
        "log entry 2: a/..: path names the root"}},
      {".meta and everything inside it are reserved (the writer's rule)",
       {dir_entry(".meta"), file_at(".meta/evil", 10), dir_entry(".meta/d"),
        file_at(".meta/.log", 10), file_at("./.meta//x", 10)},
       {},
       {"log entry 0: .meta: .meta is reserved for famfs metadata",
        "log entry 1: .meta/evil: .meta is reserved for famfs metadata",
        "log entry 2: .meta/d: .meta is reserved for famfs metadata",
        "log entry 3: .meta/.log: .meta is reserved for famfs metadata",
        "log entry 4: .meta/x: .meta is reserved for famfs metadata"}},
      {".meta below the root is an ordinary name",
       {dir_entry("a"), dir_entry("a/.meta"), file_at("a/.meta/f", 1), file_at(".metax", 2)},
       {".metax 2", "a/", "a/.meta/", "a/.meta/f 1"},
       {}},
      {"an extent at offset 0 is refused even without bounds",
       {file_at("z", 10, 0)},
       {},
       {"log entry 0: z: extent at offset 0"}},
      {"with bounds: over the log refused; past the end or too small applied, reported",
       {file_at("over", 10, 4 * k_mib), file_at("past", 10, k_dev_size - k_mib),
        file_at("big", 4 * k_mib), file_at("fine", 2 * k_mib)},
       {"big 4194304", "fine 2097152", "past 10"},
       {"log entry 0: over: extent [0x400000, +0x200000) overlaps the superblock and log "
        "[0, 0xa00000)",
        "log entry 1: past: extent [0x3f00000, +0x200000) runs past the end of the device "
        "(67108864 bytes)",
        "log entry 2: big: size 4194304 is more than its extents hold (2097152 bytes)"},
       true},
  };
}

} // namespace

TEST_CASE("core::Tree: replay rules, one row each", "[core]") {
  for (const auto& row : rows()) {
    INFO(row.rule);
    Tree t;
    t.add_meta(2 * k_mib, k_log_len);
    if (row.bounds) {
      t.set_bounds(k_reserved_end, k_dev_size);
    }
    ReplayReport r;
    for (u64 i = 0; i < row.entries.size(); ++i) {
      t.apply(i, row.entries[i], r);
    }
    std::vector<std::string> want{".meta/"};
    want.insert(want.end(), row.tree.begin(), row.tree.end());
    std::vector<std::string> got;
    list(t, k_root_ino, got);
    CHECK(got == want);
    CHECK(r.problems == row.problems);
    CHECK(r.errors() == row.problems.size());
    CHECK(r.created.size() == r.new_files + r.new_dirs);
  }
}

TEST_CASE("core::Tree: .meta holds only famfs's own files, whatever the log says", "[core]") {
  Tree t;
  t.add_meta(2 * k_mib, k_log_len);
  ReplayReport r;
  CHECK(t.apply(0, file_at(".meta/evil", 10), r) == Applied::error);
  CHECK(t.apply(1, dir_entry(".meta/sub"), r) == Applied::error);
  CHECK(r.file_errors == 1);
  CHECK(r.dir_errors == 1);
  const Node* meta = t.resolve(".meta");
  REQUIRE(meta != nullptr);
  CHECK(meta->meta);
  CHECK(meta->children.size() == 2);
  CHECK(t.resolve(".meta/evil") == nullptr);
  const Node* log = t.resolve(".meta/.log");
  REQUIRE(log != nullptr);
  CHECK(log->size == k_log_len);
  CHECK(log->fmap.extents.at(0).offset == 2 * k_mib);
  CHECK(t.resolve(".meta/.superblock")->size == log::k_superblock_region);
}

TEST_CASE("core::Tree: outcomes and counters of apply", "[core]") {
  Tree t;
  ReplayReport r;
  CHECK(t.apply(0, dir_entry("d"), r) == Applied::created);
  CHECK(t.apply(1, dir_entry("d"), r) == Applied::existed);
  CHECK(t.apply(2, file_at("d/f", 7), r) == Applied::created);
  CHECK(t.apply(3, file_at("nodir/f", 7), r) == Applied::error);
  log::LogEntry other;
  other.type = log::EntryType::add_daxdev;
  other.body = log::DaxdevEntry{};
  CHECK(t.apply(4, other, r) == Applied::ignored);
  CHECK(r.new_dirs == 1);
  CHECK(r.new_files == 1);
  CHECK(r.existed == 1);
  CHECK(r.file_errors == 1);
  CHECK(r.created == std::vector<std::string>{"d", "d/f"});
  CHECK(t.file_count() == 1);
  CHECK(t.dir_count() == 1);
  CHECK(t.get(k_root_ino)->subdirs == 1);
  const Node* f = t.resolve("d/f");
  REQUIRE(f != nullptr);
  CHECK(f->log_index == 2);
  CHECK(t.path_of(f->ino) == "d/f");
  CHECK(t.lookup(f->parent, "..")->ino == k_root_ino);
}

TEST_CASE("core::Tree: lookup by name among many, the same name in two directories, listing "
          "sorted by name whatever the log order",
          "[core]") {
  Tree t;
  ReplayReport r;
  u64 i = 0;
  CHECK(t.apply(i++, dir_entry("a"), r) == Applied::created);
  CHECK(t.apply(i++, dir_entry("b"), r) == Applied::created);
  const int n = 5000;
  for (int k = n - 1; k >= 0; --k) { // the log holds them in reverse name order
    CHECK(t.apply(i, file_at(fmt::format("a/f{:05}", k), 1, k_data + i * 2 * k_mib), r)
          == Applied::created);
    ++i;
  }
  CHECK(t.apply(i, file_at("b/f00007", 9, k_data + i * 2 * k_mib), r) == Applied::created);
  ++i;
  CHECK(t.apply(i++, file_at("a/f00007", 1), r) == Applied::existed);
  const Node* a = t.resolve("a");
  const Node* b = t.resolve("b");
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  for (int k = 0; k < n; ++k) {
    const Node* f = t.lookup(a->ino, fmt::format("f{:05}", k));
    if (f == nullptr || f->parent != a->ino || f->name != fmt::format("f{:05}", k)) {
      FAIL("a/f" << k << " not found by name");
    }
  }
  CHECK(t.lookup(b->ino, "f00007")->size == 9);
  CHECK(t.lookup(a->ino, "f00007")->size == 1);
  CHECK(t.lookup(b->ino, "f00008") == nullptr);
  CHECK(t.lookup(a->ino, "f") == nullptr);
  const auto sorted = t.sorted_children(*a);
  REQUIRE(sorted.size() == static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) {
    if (sorted[static_cast<std::size_t>(k)]->name != fmt::format("f{:05}", k)) {
      FAIL("listing out of order at " << k);
    }
  }
  CHECK(a->children.size() == static_cast<std::size_t>(n)); // in log order
  CHECK(t.get(a->children.front())->name == fmt::format("f{:05}", n - 1));
  CHECK(t.sorted_children(*t.resolve("a/f00001")).empty());
}

// The path rules of log/path.hpp, one row per rule: what a log entry's relpath normalises to
// (split_relpath: the writer's output, the replay's and fsck's input), what a path a user names
// normalises to (split_user_path: the root allowed), and whether the result is reserved.
#include "log/path.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

using namespace famfs;
using namespace famfs::log;

namespace {

// "=x": accepted, normalised to x ("=" is the root); "!x": refused, message containing x.
struct PathRow {
  std::string path;
  std::string as_log;
  std::string as_user;
  bool reserved = false; // the normalised path is .meta or inside it
  bool normal = false;   // is_normal(path): already in normal form
};

const std::string k79(79, 'x');
const std::string k80(80, 'x');

std::vector<PathRow> rows() {
  return {
      {"a", "=a", "=a", false, true},
      {"a/b/c", "=a/b/c", "=a/b/c", false, true},
      {"a//b/./c", "=a/b/c", "=a/b/c"},
      {"a/b/", "=a/b", "=a/b"},
      {"./a", "=a", "=a"},
      {"a/x/../b", "=a/b", "=a/b"},
      {"a/../b", "=b", "=b"},
      {"", "!empty path", "="},
      {".", "!.: path names the root", "="},
      {"a/..", "!a/..: path names the root", "="},
      {"/a", "!/a: path is not relative to the file system root",
       "!/a: path is not relative to the file system root"},
      {"..", "!..: path escapes the file system root", "!..: path escapes the file system root"},
      {"a/../..", "!escapes the file system root", "!escapes the file system root"},
      {"x/y/../../..", "!x/y/../../..: path escapes", "!x/y/../../..: path escapes"},
      {k79, fmt::format("={}", k79), fmt::format("={}", k79), false, true},
      {k80, "!path is 80 bytes; famfs paths are at most 79",
       "!path is 80 bytes; famfs paths are at most 79"},
      // Length counts after normalisation: what goes into the log.
      {fmt::format("./././{}", k79.substr(1)), fmt::format("={}", k79.substr(1)),
       fmt::format("={}", k79.substr(1))},
      {fmt::format("a/../{}", k79), fmt::format("={}", k79),
       fmt::format("={}", k79)}, // 84 bytes as written, 79 normalised
      {".meta", "=.meta", "=.meta", true, true},
      {".meta/evil", "=.meta/evil", "=.meta/evil", true, true},
      {".meta/.log", "=.meta/.log", "=.meta/.log", true, true},
      {"./.meta//x", "=.meta/x", "=.meta/x", true},
      {"a/../.meta", "=.meta", "=.meta", true},
      {"a/.meta", "=a/.meta", "=a/.meta", false, true},
      {".metax", "=.metax", "=.metax", false, true},
      {".met", "=.met", "=.met", false, true},
  };
}

void check_outcome(const Result<std::vector<std::string>>& r, const std::string& want) {
  if (want.front() == '=') {
    REQUIRE(r);
    CHECK(join_path(*r) == want.substr(1));
  } else {
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid_argument);
    CHECK_THAT(r.error().message, Catch::Contains(want.substr(1)));
  }
}

} // namespace

TEST_CASE("log::path: every rule, for log entries and for user paths", "[log]") {
  for (const auto& row : rows()) {
    INFO("path \"" << row.path << "\"");
    check_outcome(split_relpath(row.path), row.as_log);
    check_outcome(split_user_path(row.path), row.as_user);
    CHECK(is_normal(row.path) == row.normal);
    // split_relpath_into gives the same components as views into the path.
    std::vector<std::string_view> views{"stale"};
    auto into = split_relpath_into(row.path, views);
    CHECK(into.has_value() == (row.as_log.front() == '='));
    if (into) {
      CHECK(join_path(views) == row.as_log.substr(1));
    }
    if (row.as_user.front() == '=' && row.as_user.size() > 1) {
      const std::string norm = row.as_user.substr(1);
      CHECK(is_reserved(norm) == row.reserved);
      auto ok = check_unreserved(norm);
      CHECK(ok.has_value() == !row.reserved);
      if (!ok) {
        CHECK(ok.error().message == norm + ": .meta is reserved for famfs metadata");
      }
    }
  }
}

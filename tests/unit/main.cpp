// Catch2 runner with a per-run temporary directory: removed on success, kept (and printed) on
// failure. A listing run (--list-tests, as ctest's test discovery does) exits with the number of
// tests, not 0, in Catch2 v2: nothing ran there, so nothing is kept.
#define CATCH_CONFIG_RUNNER
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  auto dir = famfs::test::run_dir();
  Catch::Session session;
  int rc = session.applyCommandLine(argc, argv);
  if (rc == 0) {
    rc = session.run();
  }
  const auto& cfg = session.configData();
  bool listing = cfg.listTests || cfg.listTestNamesOnly || cfg.listTags || cfg.listReporters;
  if (rc == 0 || listing) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } else {
    std::fprintf(stderr, "test files kept in %s\n", dir.c_str());
  }
  return rc;
}

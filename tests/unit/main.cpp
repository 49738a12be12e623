// Catch2 runner with a per-run temporary directory: removed on success, kept (and printed) on
// failure.
#define CATCH_CONFIG_RUNNER
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  auto dir = famfs::test::run_dir();
  int rc = Catch::Session().run(argc, argv);
  if (rc == 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  } else {
    std::fprintf(stderr, "test files kept in %s\n", dir.c_str());
  }
  return rc;
}

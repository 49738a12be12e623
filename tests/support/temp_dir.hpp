// Test fixtures: a per-run directory, temporary directories and sparse backing files.
#pragma once

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace famfs::test {

// This run's directory under the build tree (FAMFS_TEST_TMP), made on first use.
inline const std::filesystem::path& run_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = FAMFS_TEST_TMP;
    std::filesystem::create_directories(base);
    std::filesystem::path d = base / fmt::format("unit-{}", ::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// A fresh directory inside the run directory; removed when the test passes with the run.
class TempDir {
public:
  TempDir() {
    static std::atomic<int> counter{0};
    m_path = run_dir() / fmt::format("t{}", counter++);
    std::filesystem::create_directories(m_path);
  }
  const std::filesystem::path& path() const { return m_path; }
  std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
  std::filesystem::path m_path;
};

// Makes a sparse file of `size` bytes at `path`.
inline void make_sparse_file(const std::string& path, std::uint64_t size) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    throw std::runtime_error("cannot make " + path);
  }
  ::close(fd);
}

} // namespace famfs::test

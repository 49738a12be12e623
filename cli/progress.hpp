// The progress bar of long commands (cp, creat -r, verify, check --data): one line on stderr,
// redrawn at most ten times a second, ended by a newline. Shown only when stderr is a terminal
// and the command moves at least k_progress_min bytes; never with --quiet or --json (the caller
// says so with Show::never). FAMFS_PROGRESS=1 shows it on any stderr (tests), FAMFS_PROGRESS=0
// never.
#pragma once

#include "cli/command.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace famfs::cli {

inline constexpr std::uint64_t k_progress_min = 64ULL << 20;

// Show::never for --quiet and --json; Show::on_terminal otherwise.
enum class Show { never, on_terminal };

class Progress {
public:
  Progress(const Context& ctx, std::uint64_t total, Show show);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `bytes` more are done (any thread).
  void add(std::uint64_t bytes);
  // `done` bytes are done in all (one thread).
  void update(std::uint64_t done);

private:
  void draw(std::uint64_t done);

  std::FILE* m_err;
  std::uint64_t m_total;
  bool m_on;
  std::atomic<std::uint64_t> m_done{0};
  std::mutex m_mutex; // guards m_last and the line
  std::chrono::steady_clock::time_point m_last{};
};

} // namespace famfs::cli

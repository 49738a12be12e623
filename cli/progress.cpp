#include "cli/progress.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace famfs::cli {

namespace {

bool wanted(std::FILE* err, Show show) {
  if (show == Show::never) {
    return false;
  }
  if (const char* v = std::getenv("FAMFS_PROGRESS"); v != nullptr && *v != 0) {
    return std::strcmp(v, "0") != 0;
  }
  return ::isatty(::fileno(err)) == 1;
}

} // namespace

Progress::Progress(const Context& ctx, std::uint64_t total, Show show)
    : m_err(ctx.err), m_total(total), m_on(total >= k_progress_min && wanted(ctx.err, show)) {}

Progress::~Progress() {
  if (m_on) {
    fmt::print(m_err, "\n");
  }
}

void Progress::add(std::uint64_t bytes) {
  if (m_on) {
    draw(m_done.fetch_add(bytes, std::memory_order_relaxed) + bytes);
  }
}

void Progress::update(std::uint64_t done) {
  if (m_on) {
    m_done.store(done, std::memory_order_relaxed);
    draw(done);
  }
}

void Progress::draw(std::uint64_t done) {
  std::unique_lock lock(m_mutex, std::try_to_lock);
  if (!lock.owns_lock() && done < m_total) {
    return; // another thread is drawing; the last step always draws
  }
  if (!lock.owns_lock()) {
    lock.lock();
  }
  const auto now = std::chrono::steady_clock::now();
  if (done < m_total && now - m_last < std::chrono::milliseconds(100)) {
    return;
  }
  m_last = now;
  done = std::min(std::max(done, m_done.load(std::memory_order_relaxed)), m_total);
  const int width = 40;
  const auto filled =
      static_cast<int>(static_cast<double>(done) / static_cast<double>(m_total) * width);
  fmt::print(m_err, "\r[{:=<{}}{:<{}}] {:3}% {}/{} MiB", "", filled, "", width - filled,
             done * 100 / m_total, done >> 20, m_total >> 20);
  std::fflush(m_err);
}

} // namespace famfs::cli

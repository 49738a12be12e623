// A move-only owner of a file descriptor.
#pragma once

#include "log/result.hpp"

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace famfs::core {

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset(std::exchange(o.m_fd, -1));
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  explicit operator bool() const { return m_fd >= 0; }
  int get() const { return m_fd; }
  // Gives up ownership and returns the descriptor.
  int release() { return std::exchange(m_fd, -1); }
  // Closes now, reporting a close failure.
  Result<void> close() {
    int fd = std::exchange(m_fd, -1);
    if (fd >= 0 && ::close(fd) != 0) {
      return sys_error(errno, "close");
    }
    return {};
  }
  // Closes the current descriptor (ignoring errors) and takes `fd`.
  void reset(int fd = -1) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = fd;
  }

private:
  int m_fd = -1;
};

} // namespace famfs::core

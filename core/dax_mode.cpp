#include "core/dax_mode.hpp"

#include "core/trace.hpp"

namespace famfs::core {

Result<void> DaxModeGuard::record(const std::string& path) {
  if (!m_path.empty()) {
    return {};
  }
  FAMFS_TRY_ASSIGN(std::string mode, m_ops.mode_of(path));
  m_path = path;
  m_original = std::move(mode);
  return {};
}

Result<void> DaxModeGuard::switch_to(const std::string& mode) {
  FAMFS_ASSERT(!m_path.empty());
  FAMFS_TRY_ASSIGN(std::string now, m_ops.mode_of(m_path));
  if (now == mode) {
    return {};
  }
  m_armed = true; // from here on the mode may have changed, even if set_mode fails
  FAMFS_TRY(m_ops.set_mode(m_path, mode));
  FAMFS_TRACE(1, "{}: switched from {} to {} mode", m_path, now, mode);
  return {};
}

Result<void> DaxModeGuard::restore() {
  if (!m_armed) {
    return {};
  }
  m_armed = false;
  if (auto now = m_ops.mode_of(m_path); now && *now == m_original) {
    FAMFS_TRACE(1, "{}: in {} mode, as it was before", m_path, m_original);
    return {};
  }
  auto r = m_ops.restore_mode(m_path, m_original);
  if (!r) {
    FAMFS_TRACE(0, "{}: could not restore {} mode: {}", m_path, m_original, r.error().message);
    return with_context(std::move(r).error(),
                        fmt::format("{}: restoring {} mode", m_path, m_original));
  }
  FAMFS_TRACE(1, "{}: restored {} mode after the failure", m_path, m_original);
  return {};
}

namespace {

Result<void> mount_steps(DaxModeGuard& guard,
                         const std::function<Result<void>()>& read,
                         const std::function<Result<void>()>& mount) {
  FAMFS_TRY(guard.switch_to("devdax"));
  FAMFS_TRY(read());
  FAMFS_TRY(guard.switch_to("famfs"));
  return mount();
}

} // namespace

Result<void> famfs_mode_mount(const std::string& path,
                              const std::function<Result<void>()>& read,
                              const std::function<Result<void>()>& mount,
                              DaxModeOps ops) {
  DaxModeGuard guard(std::move(ops));
  FAMFS_TRY(guard.record(path));
  auto r = mount_steps(guard, read, mount);
  if (r) {
    guard.commit();
    return {};
  }
  if (auto back = guard.restore(); !back) {
    Error e = std::move(r).error();
    e.message += fmt::format("; and it could not be put back in {} mode, switch it by hand: {}",
                             guard.original(), back.error().message);
    return Unexpected{std::move(e)};
  }
  return r;
}

} // namespace famfs::core

#include "fuse/mount_status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace famfs::fuse {

namespace {

const char* yes_no(bool b) {
  return b ? "yes" : "no";
}

Result<std::uint64_t> number(std::string_view key, std::string_view v) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return fail(Errc::corrupt, "mount status: {}: '{}' is not a number", key, v);
  }
  return n;
}

Result<bool> boolean(std::string_view key, std::string_view v) {
  if (v == "yes" || v == "no") {
    return v == "yes";
  }
  return fail(Errc::corrupt, "mount status: {}: '{}' is neither yes nor no", key, v);
}

Result<core::Role> role_named(std::string_view v) {
  for (core::Role r : {core::Role::master, core::Role::client}) {
    if (v == core::to_string(r)) {
      return r;
    }
  }
  return fail(Errc::corrupt, "mount status: role: '{}' is neither master nor client", v);
}

// Stores the value of one "key=value" line in `s`; unknown keys are ignored.
Result<void> set_field(MountStatus& s, std::string_view key, std::string_view v) {
  if (key == "pid") {
    FAMFS_TRY_ASSIGN(s.pid, number(key, v));
  } else if (key == "role") {
    FAMFS_TRY_ASSIGN(s.role, role_named(v));
  } else if (key == "host_uuid") {
    s.host_uuid = v;
  } else if (key == "fs_uuid") {
    s.fs_uuid = v;
  } else if (key == "entries_applied") {
    FAMFS_TRY_ASSIGN(s.entries_applied, number(key, v));
  } else if (key == "healthy") {
    FAMFS_TRY_ASSIGN(s.healthy, boolean(key, v));
  } else if (key == "reason") {
    s.reason = v;
  } else if (key == "data_path") {
    s.data_path = v;
  } else if (key == "writable") {
    FAMFS_TRY_ASSIGN(s.writable, boolean(key, v));
  } else if (key == "non_coherent") {
    FAMFS_TRY_ASSIGN(s.non_coherent, boolean(key, v));
  } else if (key == "follow_interval_ms" && v.empty()) {
    s.follow_interval_ms.reset(); // to_text() of an unknown interval
  } else if (key == "follow_interval_ms") {
    FAMFS_TRY_ASSIGN(s.follow_interval_ms, number(key, v));
  } else if (key == "media_errors") {
    FAMFS_TRY_ASSIGN(s.media_errors, number(key, v));
  } else if (key == "page_cache") {
    FAMFS_TRY_ASSIGN(s.page_cache, boolean(key, v));
  } else if (key == "transport") {
    s.transport = v;
  }
  return {};
}

} // namespace

std::string MountStatus::to_text() const {
  return fmt::format("pid={}\nrole={}\nhost_uuid={}\nfs_uuid={}\nentries_applied={}\nhealthy={}\n"
                     "reason={}\ndata_path={}\nwritable={}\nnon_coherent={}\n"
                     "follow_interval_ms={}\nmedia_errors={}\npage_cache={}\ntransport={}\n",
                     pid, core::to_string(role), host_uuid, fs_uuid, entries_applied,
                     yes_no(healthy), reason, data_path, yes_no(writable), yes_no(non_coherent),
                     follow_interval_ms ? fmt::format("{}", *follow_interval_ms) : std::string(),
                     media_errors, yes_no(page_cache), transport);
}

Result<MountStatus> MountStatus::parse(std::string_view text) {
  MountStatus s;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (auto eq = line.find('='); eq != std::string_view::npos) {
      FAMFS_TRY(set_field(s, line.substr(0, eq), line.substr(eq + 1)));
    }
  }
  return s;
}

} // namespace famfs::fuse

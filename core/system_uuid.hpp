// This host's identity: the system UUID file that decides master versus client.
#pragma once

#include "log/records.hpp"
#include "log/result.hpp"

#include <string>

namespace famfs::core {

inline constexpr const char* k_default_system_uuid_file = "/opt/famfs/system_uuid";

// Points this process at another system UUID file (the global --system-uuid-file). An empty
// path restores the default order: FAMFS_SYSTEM_UUID_FILE, then /opt/famfs/system_uuid.
void set_system_uuid_file(std::string path);
// The file in force.
std::string system_uuid_file();

// Reads this host's UUID, creating the file (upstream's format: 36 lower-case characters and a
// NUL, mode 0444, parent directory 0755) when it is missing.
Result<log::Uuid> get_system_uuid();
// Reads or creates the UUID at `path`.
Result<log::Uuid> get_system_uuid(const std::string& path);

// A new random (version 4) UUID.
log::Uuid random_uuid();

enum class Role { master, client, no_superblock };
const char* to_string(Role r);

// Role of this host for a superblock: master when its system UUID is ours.
Role role_for(const log::Superblock& sb, const log::Uuid& host);

} // namespace famfs::core

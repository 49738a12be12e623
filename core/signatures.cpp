#include "core/signatures.hpp"

#include "core/trace.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <blkid/blkid.h>
#include <cerrno>
#include <memory>

namespace famfs::core {

namespace {

struct ProbeFree {
  void operator()(blkid_struct_probe* p) const { blkid_free_probe(p); }
};
using Probe = std::unique_ptr<blkid_struct_probe, ProbeFree>;

// The phrase for the signature the probe stands on, or "" when it names none.
std::string signature_name(blkid_probe pr) {
  const char* value = nullptr;
  if (blkid_probe_lookup_value(pr, "TYPE", &value, nullptr) == 0 && value != nullptr) {
    const std::string type(value);
    const char* article = type.find_first_of("aeiou") == 0 ? "an" : "a";
    return fmt::format("{} {} {}", article, type, type == "swap" ? "area" : "file system");
  }
  if (blkid_probe_lookup_value(pr, "PTTYPE", &value, nullptr) == 0 && value != nullptr) {
    return fmt::format("a {} partition table", value);
  }
  return {};
}

} // namespace

Result<std::vector<std::string>> foreign_signatures(int fd, const std::string& path, Wipe wipe) {
  Probe pr(blkid_new_probe());
  if (!pr || blkid_probe_set_device(pr.get(), fd, 0, 0) != 0) {
    return fail(Errc::io, "{}: libblkid cannot probe it for other file systems", path);
  }
  blkid_probe_enable_superblocks(pr.get(), 1);
  blkid_probe_set_superblocks_flags(pr.get(),
                                    BLKID_SUBLKS_TYPE | BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
  blkid_probe_enable_partitions(pr.get(), 1);
  blkid_probe_set_partitions_flags(pr.get(), BLKID_PARTS_MAGIC);
  std::vector<std::string> found;
  while (blkid_do_probe(pr.get()) == 0) {
    std::string name = signature_name(pr.get());
    if (wipe == Wipe::yes) {
      if (blkid_do_wipe(pr.get(), 0) != 0) {
        return sys_error(errno, fmt::format("{}: erasing {}", path, name));
      }
      FAMFS_TRACE(1, "{}: erased the signature of {}", path, name);
    }
    if (!name.empty()) {
      found.push_back(std::move(name));
    }
  }
  if (wipe == Wipe::yes && !found.empty() && ::fsync(fd) != 0) {
    return sys_error(errno, path + ": fsync");
  }
  return found;
}

} // namespace famfs::core

// What makes a file system on a device less than whole, as a mount would see it: replay that
// stops at a damaged log entry (the files logged after it are missing from the mount), and a
// device shorter than its superblock says (files past the end cannot be read). famfs status
// reports these as not healthy; famfs mount warns about them. fsck says more, in detail.
#pragma once

#include "core/image.hpp"

#include <string>
#include <vector>

namespace famfs::core {

// One sentence per problem; empty when there is none. The log must be readable (Image::log);
// when it is not, that error is the one problem.
std::vector<std::string> health_problems(const Image& img);

} // namespace famfs::core

// famfs mkfs: placeholder until its issue lands; it refuses to run rather than pretend.
#include "cli/command.hpp"

namespace famfs::cli {

RunFn add_mkfs(CLI::App& /*sub*/) {
  return [](Context& ctx) {
    return report(ctx, make_error(Errc::unsupported, "this command is not implemented yet"));
  };
}

} // namespace famfs::cli

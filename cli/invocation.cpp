#include "cli/invocation.hpp"

#include "cli/exit_status.hpp"

#include <string_view>

namespace famfs::cli {

namespace {

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// mount(8) calls `mount.famfs SPEC DIR [-sfnv] [-N NAMESPACE] [-o OPTIONS] [-t TYPE]`.
std::vector<std::string> mount_args(const std::vector<std::string>& in) {
  std::vector<std::string> globals;
  std::vector<std::string> opts;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    const bool has_next = i + 1 < in.size();
    if ((a == "-o" || a == "-t" || a == "-N") && has_next) {
      if (a == "-o") {
        opts.insert(opts.end(), {"-o", in[i + 1]});
      } else if (a == "-N") {
        opts.insert(opts.end(), {"-o", "mount-namespace-unsupported"});
      }
      ++i; // -t TYPE says what we are
    } else if (a.size() > 1 && a[0] == '-' && a[1] != '-') {
      for (char c : a.substr(1)) {
        if (c == 'v') {
          globals.emplace_back("-v");
        } else if (c == 's') {
          opts.emplace_back("--sloppy");
        } else if (c == 'f') {
          opts.emplace_back("--fake");
        } else if (c == 'h' || c == '?') {
          opts.emplace_back("--help");
        } // n: no /etc/mtab to write
      }
    } else {
      positional.push_back(a);
    }
  }
  std::vector<std::string> out = globals;
  out.emplace_back("mount");
  out.insert(out.end(), opts.begin(), opts.end());
  out.emplace_back("--");
  out.insert(out.end(), positional.begin(), positional.end());
  return out;
}

// fsck(8) passes -a or -p (check without questions) and -n, -y, -r; famfs fsck never asks,
// and repairs only with -y.
std::vector<std::string> fsck_args(const std::vector<std::string>& in) {
  std::vector<std::string> out{"fsck"};
  for (const auto& a : in) {
    out.push_back(a == "-a" || a == "-p" ? "-n" : a);
  }
  return out;
}

} // namespace

Invocation invocation(int argc, char** argv) {
  std::vector<std::string> rest(argv + (argc > 0 ? 1 : 0), argv + argc);
  const std::string_view name = base_name(argc > 0 ? argv[0] : "famfs");
  Invocation inv;
  inv.args.emplace_back("famfs");
  std::vector<std::string> tail;
  if (name == "mkfs.famfs") {
    inv.args.emplace_back("mkfs"); // appended, not inserted: GCC 12 -O3 warns on insert here
    tail = rest;
  } else if (name == "fsck.famfs") {
    tail = fsck_args(rest);
  } else if (name == "mount.famfs" || name == "mount.fuse.famfs") {
    tail = mount_args(rest);
    inv.mount_helper = true;
  } else {
    tail = rest;
  }
  for (auto& t : tail) {
    inv.args.push_back(std::move(t));
  }
  return inv;
}

int mount_helper_exit(int code) {
  if (code == k_exit_ok) {
    return 0;
  }
  return code == k_exit_usage ? 1 : 32;
}

} // namespace famfs::cli

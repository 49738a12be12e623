// famfs: one binary, one subcommand per file (cli/cmd_*.cpp), registered from command_table()
// and parsed in cli/app.cpp.
#include "cli/app.hpp"
#include "cli/invocation.hpp"

int main(int argc, char** argv) {
  using namespace famfs::cli;
  const Invocation inv = invocation(argc, argv);
  const int code = run_famfs(inv.args);
  return inv.mount_helper ? mount_helper_exit(code) : code;
}

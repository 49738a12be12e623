// The command line as a whole: the global options, the command table's subcommands, help and
// completion, parsed by CLI11 and run. main.cpp calls run_famfs(); the unit tests call
// parse_and_run() for one command.
#pragma once

#include "cli/command.hpp"

#include <string>
#include <vector>

namespace famfs::cli {

// Parses `args` (argv after the invocation rules of cli/invocation.hpp; args[0] is the program)
// and runs the command they name. Returns the exit code; every message is printed here.
int run_famfs(const std::vector<std::string>& args);

// Parses `line` ("--device IMG -s 4k f") as the arguments of the command `name` alone and runs it
// with `ctx`, as run_famfs() would minus report(): the command's Result comes back. A line the
// parser refuses, or an unknown `name`, is an invalid_argument error with the parser's text.
Result<int> parse_and_run(const std::string& name, const std::string& line, Context& ctx);

} // namespace famfs::cli

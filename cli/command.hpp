// What every subcommand file sees: the context, and how it registers itself.
#pragma once

#include "cli/exit_status.hpp"
#include "log/result.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <string>

namespace famfs::cli {

// Per-invocation state shared by all commands (mold's ctx).
struct Context {
  std::string command; // "mkfs", ... (for messages)
  int verbose = 0;     // count of -v
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

// Runs a command after parsing; returns the exit code.
using RunFn = std::function<int(Context&)>;

// Prints "famfs <cmd>: error: <message>" and, when known, "hint: <hint>" to ctx.err.
void print_error(const Context& ctx, const Error& e);
// Prints the error and returns its exit code (exit_code_for).
int report(const Context& ctx, const Error& e);
// Prints "famfs <cmd>: warning: <message>".
void print_warning(const Context& ctx, const std::string& message);

// Parses a size with an optional k/m/g/t suffix (powers of 1024), e.g. "8m", "4G", "0x1000".
Result<std::uint64_t> parse_size(const std::string& text);
// A CLI11 validator for sizes.
CLI::Validator size_validator();
// Parses an octal mode ("644", "0755"); refuses bits outside 07777.
Result<std::uint32_t> parse_mode(const std::string& text);

// One registration function per subcommand file (cli/cmd_<name>.cpp): declares the options on
// `sub` and returns the function that runs the command.
RunFn add_mkfs(CLI::App& sub);
RunFn add_fsck(CLI::App& sub);
RunFn add_mount(CLI::App& sub);
RunFn add_umount(CLI::App& sub);
RunFn add_creat(CLI::App& sub);
RunFn add_mkdir(CLI::App& sub);
RunFn add_cp(CLI::App& sub);
RunFn add_logplay(CLI::App& sub);
RunFn add_verify(CLI::App& sub);
RunFn add_getmap(CLI::App& sub);
RunFn add_check(CLI::App& sub);
RunFn add_status(CLI::App& sub);
RunFn add_flush(CLI::App& sub);

struct CommandInfo {
  const char* name;
  const char* summary;
  RunFn (*add)(CLI::App&);
  int usage_exit = k_exit_usage; // exit code for bad options (fsck(8) and check use 16)
};

// The command table, in help order (cli/commands.cpp).
const std::vector<CommandInfo>& command_table();

} // namespace famfs::cli

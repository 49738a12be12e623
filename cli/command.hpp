// What every subcommand file sees: the context, and how it registers itself.
#pragma once

#include "cli/exit_status.hpp"
#include "cli/options.hpp"
#include "core/size_text.hpp"
#include "log/result.hpp"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace famfs::cli {

// Per-invocation state shared by all commands (mold's ctx).
struct Context {
  std::string command; // "mkfs", ... (for messages)
  int verbose = 0;     // count of -v
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  mutable std::vector<Error> errors; // every error print_error() printed, in order
};

// Runs a command after parsing; returns the exit code, or the error that stopped the command
// (main() prints it with report() and exits with its code).
using RunFn = std::function<Result<int>(Context&)>;

// Prints "famfs <cmd>: error: <message>" and, when known, "hint: <hint>" to ctx.err.
void print_error(const Context& ctx, const Error& e);
// Prints the error and returns its exit code (exit_code_for). Called once, by main(), for the
// error a command returns; commands return their errors instead of calling it.
int report(const Context& ctx, const Error& e);
// Prints "famfs <cmd>: warning: <message>".
void print_warning(const Context& ctx, const std::string& message);

// Collects the errors of a command that goes on after a failed item (a file, a directory):
// prints each one, counts them, and keeps the exit code of the first.
class ErrorTally {
public:
  explicit ErrorTally(const Context& ctx) : m_ctx(ctx) {}
  void operator()(const Error& e);
  int count() const { return m_count; }
  // k_exit_ok, or the exit code of the first error.
  int exit_code() const { return m_exit; }

private:
  const Context& m_ctx;
  int m_count = 0;
  int m_exit = k_exit_ok;
};

// Declares -H/--human on `sub`: byte sizes in the command's text report in the short form
// (1.5G, 512M, 4.0K; core/size_text.hpp) instead of exact bytes. JSON output keeps bytes.
void add_human_flag(Subcommand& sub, core::SizeStyle& sizes, const char* names = "-H,--human");
// `n` bytes for a text report: "N bytes", or with SizeStyle::human the short form ("1.5G").
std::string bytes_text(std::uint64_t n, core::SizeStyle sizes);

// Declares upstream's --fuse (accepted: famfs always serves through FUSE) and -F/--nofuse (the
// famfs v1 kernel module) on `sub`; `nofuse_refused()` is the error for the latter. Upstream's
// mount also spells --fuse -f (`fuse_names`).
void add_fuse_flags(Subcommand& sub, bool& nofuse, const char* fuse_names = "--fuse");
Error nofuse_refused();

// Every SIZE argument is read by core::parse_size (core/size_text.hpp): "8m", "4G", "0x1000".
using core::parse_size;
// Declares a SIZE option (parse_size() must accept it; parse it again when running).
Opt* add_size_option(Subcommand& sub,
                     const std::string& names,
                     std::string& value,
                     const std::string& help);
// Parses an octal mode ("644", "0755"); refuses bits outside 07777, and setuid, setgid and
// sticky (log::mode_problem).
Result<std::uint32_t> parse_mode(const std::string& text);

// One registration function per subcommand file (cli/cmd_<name>.cpp): declares the options on
// `sub` and returns the function that runs the command.
RunFn add_mkfs(Subcommand& sub);
RunFn add_fsck(Subcommand& sub);
RunFn add_mount(Subcommand& sub);
RunFn add_umount(Subcommand& sub);
RunFn add_creat(Subcommand& sub);
RunFn add_mkdir(Subcommand& sub);
RunFn add_cp(Subcommand& sub);
RunFn add_logplay(Subcommand& sub);
RunFn add_verify(Subcommand& sub);
RunFn add_getmap(Subcommand& sub);
RunFn add_check(Subcommand& sub);
RunFn add_status(Subcommand& sub);
RunFn add_flush(Subcommand& sub);
RunFn add_chkread(Subcommand& sub);
RunFn add_clone(Subcommand& sub);

struct CommandInfo {
  const char* name;
  const char* summary;
  RunFn (*add)(Subcommand&);
  int usage_exit = k_exit_usage; // exit code for bad options (fsck(8) and check use 16)
  int media_exit = k_exit_media; // exit code for a media error (fsck(8) and check use 8)
  bool hidden = false;           // left out of the command list (test tools: clone)
};

// The command table, in help order (cli/commands.cpp).
const std::vector<CommandInfo>& command_table();

} // namespace famfs::cli

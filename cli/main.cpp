// famfs: one binary, one subcommand per file (cli/cmd_*.cpp), registered from command_table().
#include "cli/command.hpp"
#include "cli/completion.hpp"
#include "core/media_guard.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"

#include <fmt/format.h>

#include <exception>
#include <map>

int main(int argc, char** argv) {
  using namespace famfs::cli;
  CLI::App app{"famfs: a file system in memory shared by several hosts (CXL, fabric-attached)",
               "famfs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("famfs ") + FAMFS_VERSION);
  int verbose = 0;
  std::string uuid_file;
  app.add_flag("-v,--verbose", verbose, "more output (repeat for more)");
  app.add_option("--system-uuid-file", uuid_file,
                 "this host's system UUID file (default: $FAMFS_SYSTEM_UUID_FILE, else "
                 "/opt/famfs/system_uuid)")
      ->type_name("PATH");

  std::map<CLI::App*, RunFn> runs;
  std::map<CLI::App*, int> media_exits;
  for (const auto& c : command_table()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    sub->fallthrough(); // global options may follow the subcommand
    runs[sub] = c.add(*sub);
    media_exits[sub] = c.media_exit;
  }
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "show help for a command");
  help->add_option("COMMAND", help_topic, "the command");
  CLI::App* completion = app.add_subcommand("completion", "print the bash completion script");

  Context ctx;
  ctx.command = "";
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e); // --help, --version
    }
    for (auto* sub : app.get_subcommands()) {
      ctx.command = sub->get_name();
    }
    std::string what = e.what();
    fmt::print(stderr, "famfs{}{}: error: {}\n", ctx.command.empty() ? "" : " ", ctx.command, what);
    fmt::print(stderr, "hint: run 'famfs {}{}--help'\n", ctx.command,
               ctx.command.empty() ? "" : " ");
    for (const auto& c : command_table()) {
      if (ctx.command == c.name) {
        return c.usage_exit;
      }
    }
    return k_exit_usage;
  }
  if (completion->parsed()) {
    fmt::print("{}", bash_completion(app));
    return k_exit_ok;
  }
  if (help->parsed()) {
    if (help_topic.empty()) {
      // Not app.help(): that delegates to the parsed subcommand, "help" itself.
      fmt::print("{}", app.get_formatter()->make_help(&app, "famfs", CLI::AppFormatMode::Normal));
      return k_exit_ok;
    }
    for (auto& [sub, run] : runs) {
      if (sub->get_name() == help_topic) {
        fmt::print("{}", sub->help("famfs")); // as `famfs COMMAND --help` prints it
        return k_exit_ok;
      }
    }
    fmt::print(stderr, "famfs help: error: {}: no such command\n", help_topic);
    fmt::print(stderr, "hint: run 'famfs help' for the list of commands\n");
    return k_exit_usage;
  }
  famfs::core::set_trace_level(verbose);
  if (!uuid_file.empty()) {
    famfs::core::set_system_uuid_file(uuid_file);
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) {
      ctx.command = sub->get_name();
      ctx.verbose = verbose;
      // A SIGBUS from device memory ends the command with one line, not a signal.
      famfs::core::set_media_error_exit("famfs " + ctx.command, media_exits[sub]);
      try {
        famfs::Result<int> rc = run(ctx);
        return rc ? *rc : report(ctx, rc.error());
      } catch (const std::exception& e) {
        fmt::print(stderr, "famfs {}: error: internal error: {}\n", ctx.command, e.what());
        return k_exit_failure;
      }
    }
  }
  return k_exit_usage;
}

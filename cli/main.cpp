// famfs: one binary, one subcommand per file (cli/cmd_*.cpp), registered from command_table().
#include "cli/command.hpp"
#include "cli/completion.hpp"
#include "cli/invocation.hpp"
#include "cli/parse_errors.hpp"
#include "core/media_guard.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"

#include <fmt/format.h>

#include <exception>
#include <map>

namespace {

using namespace famfs::cli;

// A mistake on the command line: one line in the house style, a hint, the command's usage code.
int usage_error(const std::string& command, const std::string& what, const std::string& hint) {
  fmt::print(stderr, "famfs{}{}: error: {}\n", command.empty() ? "" : " ", command, what);
  fmt::print(stderr, "hint: {}\n", hint);
  for (const auto& c : command_table()) {
    if (command == c.name) {
      return c.usage_exit;
    }
  }
  return k_exit_usage;
}

int parse_failure(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(e); // --help, --version
  }
  std::string command;
  for (auto* sub : app.get_subcommands()) {
    command = sub->get_name();
  }
  return usage_error(command, parse_error_text(e),
                     fmt::format("run 'famfs {}{}--help'", command, command.empty() ? "" : " "));
}

int unknown_command_error(const CLI::App& app, const std::string& word) {
  const std::string near = nearest_command(app, word);
  return usage_error("",
                     fmt::format("unknown command '{}'{}", word,
                                 near.empty() ? "" : fmt::format("; did you mean '{}'?", near)),
                     "run 'famfs help' for the list of commands");
}

// `famfs help [COMMAND]`: the command's help as `famfs COMMAND --help` prints it.
int run_help(CLI::App& app, const std::string& topic) {
  if (topic.empty()) {
    // Not app.help(): that delegates to the parsed subcommand, "help" itself.
    fmt::print("{}", app.get_formatter()->make_help(&app, "famfs", CLI::AppFormatMode::Normal));
    return k_exit_ok;
  }
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == topic) {
      fmt::print("{}", sub->help("famfs"));
      return k_exit_ok;
    }
  }
  fmt::print(stderr, "famfs help: error: {}: no such command\n", topic);
  fmt::print(stderr, "hint: run 'famfs help' for the list of commands\n");
  return k_exit_usage;
}

struct Command {
  RunFn run;
  int media_exit;
};

int run_command(Context& ctx, CLI::App& sub, const Command& c) {
  ctx.command = sub.get_name();
  // A SIGBUS from device memory ends the command with one line, not a signal.
  famfs::core::set_media_error_exit("famfs " + ctx.command, c.media_exit);
  try {
    return c.run(ctx);
  } catch (const std::exception& e) {
    fmt::print(stderr, "famfs {}: error: internal error: {}\n", ctx.command, e.what());
    return k_exit_failure;
  }
}

int run_famfs(const std::vector<std::string>& args) {
  CLI::App app{"famfs: a file system in memory shared by several hosts (CXL, fabric-attached)",
               "famfs"};
  app.formatter(help_formatter());
  app.set_help_flag("-h,-?,--help", "print this help and exit");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("famfs ") + FAMFS_VERSION);
  int verbose = 0;
  std::string uuid_file;
  app.add_flag("-v,--verbose", verbose, "more output (repeat for more)");
  app.add_option("--system-uuid-file", uuid_file,
                 "this host's system UUID file (default: $FAMFS_SYSTEM_UUID_FILE, else "
                 "/opt/famfs/system_uuid)")
      ->type_name("PATH");

  std::map<CLI::App*, Command> commands;
  for (const auto& c : command_table()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    sub->fallthrough(); // global options may follow the subcommand
    if (c.hidden) {
      sub->group("");
    }
    commands[sub] = Command{c.add(*sub), c.media_exit};
  }
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "show help for a command");
  help->add_option("COMMAND", help_topic, "the command");
  CLI::App* completion = app.add_subcommand("completion", "print the bash completion script");

  if (auto word = unknown_command(app, args)) {
    return unknown_command_error(app, *word);
  }
  try {
    std::vector<std::string> rev(args.rbegin(), args.rend() - 1); // CLI11 pops from the back
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    return parse_failure(app, e);
  }
  if (completion->parsed()) {
    fmt::print("{}", bash_completion(app));
    return k_exit_ok;
  }
  if (help->parsed()) {
    return run_help(app, help_topic);
  }
  famfs::core::set_trace_level(verbose);
  if (!uuid_file.empty()) {
    famfs::core::set_system_uuid_file(uuid_file);
  }
  Context ctx;
  ctx.verbose = verbose;
  for (auto& [sub, c] : commands) {
    if (sub->parsed()) {
      return run_command(ctx, *sub, c);
    }
  }
  return k_exit_usage;
}

} // namespace

int main(int argc, char** argv) {
  const Invocation inv = invocation(argc, argv);
  const int code = run_famfs(inv.args);
  return inv.mount_helper ? mount_helper_exit(code) : code;
}

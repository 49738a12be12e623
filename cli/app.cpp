// The command line as a whole (cli/app.hpp). CLI11 is compiled once per build: this file,
// options.cpp, parse_errors.cpp and completion.cpp are one unity group (cli/CMakeLists.txt).
#include "cli/app.hpp"

#include "cli/completion.hpp"
#include "cli/daemon_deadline.hpp"
#include "cli/json_out.hpp"
#include "cli/parse_errors.hpp"
#include "core/media_guard.hpp"
#include "core/system_uuid.hpp"
#include "core/trace.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>

namespace famfs::cli {

namespace {

// The command table's entry named `name`, or null.
const CommandInfo* find_command(const std::string& name) {
  const auto& table = command_table();
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const CommandInfo& c) { return name == c.name; });
  return it == table.end() ? nullptr : &*it;
}

// A mistake on the command line: one line in the house style, a hint, the command's usage code.
int usage_error(const std::string& command, const std::string& what, const std::string& hint) {
  fmt::print(stderr, "famfs{}{}: error: {}\n", command.empty() ? "" : " ", command, what);
  fmt::print(stderr, "hint: {}\n", hint);
  const CommandInfo* c = find_command(command);
  return c != nullptr ? c->usage_exit : k_exit_usage;
}

int parse_failure(CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(e); // --help, --version
  }
  Context ctx;
  for (auto* sub : app.get_subcommands()) {
    ctx.command = sub->get_name();
  }
  const std::string hint =
      fmt::format("run 'famfs {}{}--help'", ctx.command, ctx.command.empty() ? "" : " ");
  const int code = usage_error(ctx.command, parse_error_text(e), hint);
  if (std::find(args.begin(), args.end(), "--json") != args.end()) {
    ctx.errors.push_back(
        with_hint(make_error(Errc::invalid_argument, "{}", parse_error_text(e)), hint));
    fmt::print("{}", failure_json(ctx, code));
  }
  return code;
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

int run_guarded(Context& ctx, const Command& c) {
  // A SIGBUS from device memory ends the command with one line, not a signal.
  famfs::core::set_media_error_exit("famfs " + ctx.command, c.media_exit);
  // A daemon that does not answer: 1, or the operational error of fsck(8) and check.
  set_daemon_timeout_exit(ctx.command,
                          c.media_exit == k_exit_media ? k_exit_failure : c.media_exit);
  try {
    famfs::Result<int> rc = c.run(ctx);
    return rc ? *rc : report(ctx, rc.error());
  } catch (const std::exception& e) {
    print_error(ctx, make_error(Errc::internal, "internal error: {}", e.what()));
    return k_exit_failure;
  }
}

// With --json, the command's standard output is collected first: a command that fails before
// printing its document gets the failure document (cli/json_out.hpp) instead.
int run_command(Context& ctx, CLI::App& sub, const Command& c) {
  ctx.command = sub.get_name();
  const CLI::Option* json = sub.get_option_no_throw("--json");
  if (json == nullptr || json->count() == 0) {
    return run_guarded(ctx, c);
  }
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* mem = ::open_memstream(&buf, &len);
  if (mem == nullptr) {
    return run_guarded(ctx, c);
  }
  ctx.out = mem;
  const int code = run_guarded(ctx, c);
  std::fclose(mem);
  ctx.out = stdout;
  std::string doc(buf, len);
  if (doc.empty() && code != k_exit_ok) {
    doc = failure_json(ctx, code);
  } else if (code != k_exit_ok && !ctx.errors.empty()) {
    doc = with_error_member(std::move(doc), ctx.errors.front());
  }
  std::fwrite(doc.data(), 1, doc.size(), ctx.out);
  std::free(buf);
  return code;
}

} // namespace

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
    Subcommand declare(*sub);
    commands[sub] = Command{c.add(declare), c.media_exit};
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
    return parse_failure(app, e, args);
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

Result<int> parse_and_run(const std::string& name, const std::string& line, Context& ctx) {
  const CommandInfo* c = find_command(name);
  if (c == nullptr) {
    return make_error(Errc::invalid_argument, "unknown command '{}'", name);
  }
  CLI::App app{"famfs"};
  Subcommand declare(*app.add_subcommand(c->name, c->summary));
  const RunFn run = c->add(declare);
  try {
    app.parse(name + " " + line, false);
  } catch (const CLI::ParseError& e) {
    return make_error(Errc::invalid_argument, "{}", parse_error_text(e));
  }
  ctx.command = name;
  return run(ctx);
}

} // namespace famfs::cli

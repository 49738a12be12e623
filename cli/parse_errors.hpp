// The command line's own mistakes, in the house style (`famfs <cmd>: error: ...`): an unknown
// command with the nearest known one, and CLI11's parser errors reworded. Also the help
// formatter that leaves CLI11's parser notes (validator ranges, Excludes:, Needs:) out of --help.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace famfs::cli {

// The first word of `args` (after the global options) when it names no command of `app`.
std::optional<std::string> unknown_command(const CLI::App& app,
                                           const std::vector<std::string>& args);
// The visible command of `app` nearest to `word` (edit distance), or "" when none is close.
std::string nearest_command(const CLI::App& app, const std::string& word);
// CLI11's message for `e`, reworded: "unknown option --x", "--uid: nobody: not a number", ...
std::string parse_error_text(const CLI::ParseError& e);

// --help without CLI11's parser notes: an option shows its value's name only.
std::shared_ptr<CLI::Formatter> help_formatter();

} // namespace famfs::cli

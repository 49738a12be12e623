// Shell completion generated from the command definitions.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace famfs::cli {

// A bash completion script for every subcommand and option of `app`.
std::string bash_completion(const CLI::App& app);

} // namespace famfs::cli

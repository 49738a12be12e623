// The options of one subcommand, as the command files declare them (cli/cmd_*.cpp). CLI11 is
// included by cli/options.cpp and the parser's own files (app.cpp, parse_errors.cpp,
// completion.cpp), compiled as one unit: its header costs seconds in every file that includes it.
// The calls keep CLI11's names and meaning (add_flag, add_option, ->required(), ->excludes() ...).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace famfs::cli {

// A check on an option's value (CLI::Range, CLI::IsMember, or a function that returns the
// error message for a bad value and "" for a good one).
struct Check {
  enum class Kind { range, one_of, custom } kind = Kind::range;
  long long lo = 0;
  long long hi = 0;
  bool unsigned_range = false; // as CLI::Range(unsigned, unsigned): its text says UINT
  std::vector<std::string> names;
  std::function<std::string(const std::string&)> check;
  std::string name; // custom: what the value is ("size")
};
Check range(int lo, int hi);
Check range(unsigned lo, unsigned hi);
Check one_of(std::vector<std::string> names);
Check custom_check(std::string name, std::function<std::string(const std::string&)> check);

// One declared option or flag.
class Opt {
public:
  explicit Opt(CLI::Option* o) : m_opt(o) {}
  Opt* required();
  Opt* type_name(const std::string& name);
  Opt* excludes(Opt* other);
  Opt* needs(Opt* other);
  Opt* check(const Check& c);
  Opt* description(const std::string& text);
  Opt* group(const std::string& name); // "" leaves it out of --help
  Opt* allow_extra_args(bool allow);

private:
  CLI::Option* m_opt;
};

// The subcommand a command file declares its options on (CLI::App underneath).
class Subcommand {
public:
  explicit Subcommand(CLI::App& app) : m_app(app) {}
  Subcommand(const Subcommand&) = delete;
  Subcommand& operator=(const Subcommand&) = delete;

  Opt* add_flag(const std::string& names);
  Opt* add_flag(const std::string& names, bool& value, const std::string& help = "");
  Opt* add_flag_callback(const std::string& names,
                         std::function<void()> callback,
                         const std::string& help);
  Opt* add_option(const std::string& names, std::string& value, const std::string& help = "");
  Opt* add_option(const std::string& names,
                  std::optional<std::string>& value,
                  const std::string& help = "");
  Opt* add_option(const std::string& names,
                  std::vector<std::string>& values,
                  const std::string& help = "");
  Opt* add_option(const std::string& names, int& value, const std::string& help = "");
  Opt* add_option(const std::string& names, unsigned& value, const std::string& help = "");
  Opt* add_option(const std::string& names, std::uint64_t& value, const std::string& help = "");
  Opt* add_option(const std::string& names,
                  std::optional<std::uint64_t>& value,
                  const std::string& help = "");
  // The option declared with `name` (e.g. "--size").
  Opt* get_option(const std::string& name);
  void footer(const std::string& text);
  void set_help_flag(const std::string& names, const std::string& help);

private:
  Opt* keep(CLI::Option* o);

  CLI::App& m_app;
  std::deque<Opt> m_opts; // stable addresses for the Opt* handed out
};

} // namespace famfs::cli

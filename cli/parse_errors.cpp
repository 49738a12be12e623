#include "cli/parse_errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace famfs::cli {

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Text after `prefix` in `s`, or nullopt.
std::optional<std::string> after(const std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) != 0) {
    return std::nullopt;
  }
  return s.substr(prefix.size());
}

class Formatter : public CLI::Formatter {
public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_type_size() == 0) {
      return {};
    }
    std::string type = opt->get_type_name();
    type = type.substr(0, type.find(':')); // "UINT:UINT in [1 - 64]" -> "UINT"
    std::string text = type.empty() ? std::string() : " " + type;
    if (opt->get_required() && !opt->get_positional()) {
      text += " (required)";
    }
    return text;
  }
};

} // namespace

std::optional<std::string> unknown_command(const CLI::App& app,
                                           const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--system-uuid-file") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') {
      continue;
    }
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->check_name(a)) {
        return std::nullopt;
      }
    }
    return a;
  }
  return std::nullopt;
}

std::string nearest_command(const CLI::App& app, const std::string& word) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 2) + 1;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty()) {
      continue; // hidden
    }
    const std::size_t d = edit_distance(word, sub->get_name());
    const bool prefix = sub->get_name().rfind(word, 0) == 0 || word.rfind(sub->get_name(), 0) == 0;
    if (d < best_d || (prefix && best.empty())) {
      best = sub->get_name();
      best_d = d;
    }
  }
  return best;
}

std::string parse_error_text(const CLI::ParseError& e) {
  const std::string what = e.what();
  const std::string kind = e.get_name();
  {
    if (auto rest = after(what, "The following argument was not expected: ")) {
      return (*rest)[0] == '-' ? "unknown option " + *rest : "unexpected argument " + *rest;
    }
    if (auto rest = after(what, "The following arguments were not expected: ")) {
      return (*rest)[0] == '-' ? "unknown options " + *rest : "unexpected arguments " + *rest;
    }
  }
  if (auto rest = after(what, "Could not convert: ")) {
    const auto eq = rest->find(" = ");
    if (eq != std::string::npos) {
      return fmt::format("{}: {}: not a valid value", rest->substr(0, eq), rest->substr(eq + 3));
    }
  }
  if (kind == "RequiredError") {
    if (what == "A subcommand is required") {
      return "no command given";
    }
    if (auto rest = after(what, "")) {
      const auto is = rest->find(" is required");
      if (is != std::string::npos) {
        return fmt::format("missing {}", rest->substr(0, is));
      }
    }
  }
  if (kind == "ArgumentMismatch") {
    const auto colon = what.find(':');
    if (colon != std::string::npos && what.find("required") != std::string::npos) {
      return fmt::format("{}: needs a value", what.substr(0, colon));
    }
  }
  if (kind == "ExcludesError") {
    const auto ex = what.find(" excludes ");
    if (ex != std::string::npos) {
      return fmt::format("{} and {} cannot be used together", what.substr(0, ex),
                         what.substr(ex + 10));
    }
  }
  if (kind == "RequiresError") {
    const auto rq = what.find(" requires ");
    if (rq != std::string::npos) {
      return fmt::format("{} needs {}", what.substr(0, rq), what.substr(rq + 10));
    }
  }
  std::string text = what;
  if (const auto v = text.find(": Value "); v != std::string::npos) {
    text.replace(v, 8, ": "); // "--threads: Value 99 not in range" -> "--threads: 99: not in range"
    const auto sp = text.find(' ', v + 2);
    if (sp != std::string::npos) {
      text.insert(sp, ":");
    }
  }
  if (!text.empty()) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

std::shared_ptr<CLI::Formatter> help_formatter() {
  return std::make_shared<Formatter>();
}

} // namespace famfs::cli

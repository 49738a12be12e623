// The one file that declares options through CLI11 (cli/options.hpp).
#include "cli/options.hpp"

#include <CLI/CLI.hpp>

#include <utility>

namespace famfs::cli {

Check range(int lo, int hi) {
  Check c;
  c.kind = Check::Kind::range;
  c.lo = lo;
  c.hi = hi;
  return c;
}

Check range(unsigned lo, unsigned hi) {
  Check c = range(0, 0);
  c.lo = lo;
  c.hi = hi;
  c.unsigned_range = true;
  return c;
}

Check one_of(std::vector<std::string> names) {
  Check c;
  c.kind = Check::Kind::one_of;
  c.names = std::move(names);
  return c;
}

Check custom_check(std::string name, std::function<std::string(const std::string&)> check) {
  Check c;
  c.kind = Check::Kind::custom;
  c.name = std::move(name);
  c.check = std::move(check);
  return c;
}

Opt* Opt::required() {
  m_opt->required();
  return this;
}

Opt* Opt::type_name(const std::string& name) {
  m_opt->type_name(name);
  return this;
}

Opt* Opt::excludes(Opt* other) {
  m_opt->excludes(other->m_opt);
  return this;
}

Opt* Opt::needs(Opt* other) {
  m_opt->needs(other->m_opt);
  return this;
}

Opt* Opt::check(const Check& c) {
  switch (c.kind) {
  case Check::Kind::range:
    if (c.unsigned_range) {
      m_opt->check(CLI::Range(static_cast<unsigned>(c.lo), static_cast<unsigned>(c.hi)));
    } else {
      m_opt->check(CLI::Range(static_cast<int>(c.lo), static_cast<int>(c.hi)));
    }
    break;
  case Check::Kind::one_of:
    m_opt->check(CLI::IsMember(c.names));
    break;
  case Check::Kind::custom:
    m_opt->check(CLI::Validator([f = c.check](std::string& s) { return f(s); }, "", c.name));
    break;
  }
  return this;
}

Opt* Opt::description(const std::string& text) {
  m_opt->description(text);
  return this;
}

Opt* Opt::group(const std::string& name) {
  m_opt->group(name);
  return this;
}

Opt* Opt::allow_extra_args(bool allow) {
  m_opt->allow_extra_args(allow);
  return this;
}

Opt* Subcommand::keep(CLI::Option* o) {
  return &m_opts.emplace_back(o);
}

Opt* Subcommand::add_flag(const std::string& names) {
  return keep(m_app.add_flag(names));
}

Opt* Subcommand::add_flag(const std::string& names, bool& value, const std::string& help) {
  return keep(m_app.add_flag(names, value, help));
}

Opt* Subcommand::add_flag_callback(const std::string& names,
                                   std::function<void()> callback,
                                   const std::string& help) {
  return keep(m_app.add_flag_callback(names, std::move(callback), help));
}

Opt* Subcommand::add_option(const std::string& names, std::string& value, const std::string& help) {
  return keep(m_app.add_option(names, value, help));
}

Opt* Subcommand::add_option(const std::string& names,
                            std::optional<std::string>& value,
                            const std::string& help) {
  return keep(m_app.add_option(names, value, help));
}

Opt* Subcommand::add_option(const std::string& names,
                            std::vector<std::string>& values,
                            const std::string& help) {
  return keep(m_app.add_option(names, values, help));
}

Opt* Subcommand::add_option(const std::string& names, int& value, const std::string& help) {
  return keep(m_app.add_option(names, value, help));
}

Opt* Subcommand::add_option(const std::string& names, unsigned& value, const std::string& help) {
  return keep(m_app.add_option(names, value, help));
}

Opt* Subcommand::add_option(const std::string& names,
                            std::uint64_t& value,
                            const std::string& help) {
  return keep(m_app.add_option(names, value, help));
}

Opt* Subcommand::add_option(const std::string& names,
                            std::optional<std::uint64_t>& value,
                            const std::string& help) {
  return keep(m_app.add_option(names, value, help));
}

Opt* Subcommand::get_option(const std::string& name) {
  return keep(m_app.get_option(name));
}

void Subcommand::footer(const std::string& text) {
  m_app.footer(text);
}

void Subcommand::set_help_flag(const std::string& names, const std::string& help) {
  m_app.set_help_flag(names, help);
}

} // namespace famfs::cli

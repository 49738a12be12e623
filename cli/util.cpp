#include "cli/command.hpp"
#include "core/size_text.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace famfs::cli {

void print_error(const Context& ctx, const Error& e) {
  fmt::print(ctx.err, "famfs {}: error: {}\n", ctx.command, e.message);
  if (!e.hint.empty()) {
    fmt::print(ctx.err, "hint: {}\n", e.hint);
  }
}

int report(const Context& ctx, const Error& e) {
  print_error(ctx, e);
  return exit_code_for(e);
}

void print_warning(const Context& ctx, const std::string& message) {
  fmt::print(ctx.err, "famfs {}: warning: {}\n", ctx.command, message);
}

void ErrorTally::operator()(const Error& e) {
  print_error(m_ctx, e);
  if (m_count++ == 0) {
    m_exit = exit_code_for(e);
  }
}

void add_human_flag(CLI::App& sub, bool& human) {
  sub.add_flag("-H,--human", human,
               "print byte sizes in short binary units (1.5G, 512M, 4.0K); JSON keeps bytes");
}

std::string bytes_text(std::uint64_t n, core::SizeStyle style) {
  return style == core::SizeStyle::human ? core::human_size(n) : fmt::format("{} bytes", n);
}

Result<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) {
    return fail(Errc::invalid_argument, "empty size");
  }
  if (text.front() == '-' || text.front() == '+' || text.front() == ' ') {
    return fail(Errc::invalid_argument, "{}: not a size", text);
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || end == text.c_str()) {
    return fail(Errc::invalid_argument, "{}: not a size", text);
  }
  std::string_view rest(end);
  unsigned shift = 0;
  if (!rest.empty()) {
    switch (rest.front()) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case 't':
    case 'T':
      shift = 40;
      break;
    default:
      return fail(Errc::invalid_argument, "{}: not a size (suffixes are k, m, g, t)", text);
    }
    rest.remove_prefix(1);
    if (rest == "iB" || rest == "ib" || rest == "B" || rest == "b") {
      rest = {};
    }
    if (!rest.empty()) {
      return fail(Errc::invalid_argument, "{}: not a size (suffixes are k, m, g, t)", text);
    }
  }
  if (shift > 0 && v > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    return fail(Errc::invalid_argument, "{}: size too large", text);
  }
  return static_cast<std::uint64_t>(v) << shift;
}

CLI::Option* add_size_option(CLI::App& sub,
                             const std::string& names,
                             std::string& value,
                             const std::string& help) {
  const CLI::Validator valid(
      [](std::string& s) -> std::string {
        auto r = parse_size(s);
        return r ? std::string() : r.error().message;
      },
      "", "size");
  return sub.add_option(names, value, help)->type_name("SIZE")->check(valid);
}

Result<std::uint32_t> parse_mode(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 8);
  if (text.empty() || errno != 0 || *end != 0 || v > 07777) {
    return fail(Errc::invalid_argument, "{}: not an octal mode", text);
  }
  return static_cast<std::uint32_t>(v);
}

} // namespace famfs::cli

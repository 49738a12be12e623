#include "cli/command.hpp"

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

CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto r = parse_size(s);
        return r ? std::string() : r.error().message;
      },
      "", "size");
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

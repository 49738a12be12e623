#include "cli/command.hpp"
#include "core/size_text.hpp"
#include "log/quote.hpp"
#include "log/records.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace famfs::cli {

// Messages may carry names from the user or from a hostile log: control bytes are escaped
// (log/quote.hpp), so nothing reaches the terminal raw.
void print_error(const Context& ctx, const Error& e) {
  ctx.errors.push_back(e);
  fmt::print(ctx.err, "famfs {}: error: {}\n", ctx.command, log::escape_controls(e.message));
  if (!e.hint.empty()) {
    fmt::print(ctx.err, "hint: {}\n", log::escape_controls(e.hint));
  }
}

int report(const Context& ctx, const Error& e) {
  print_error(ctx, e);
  return exit_code_for(e);
}

void print_warning(const Context& ctx, const std::string& message) {
  fmt::print(ctx.err, "famfs {}: warning: {}\n", ctx.command, log::escape_controls(message));
}

void ErrorTally::operator()(const Error& e) {
  print_error(m_ctx, e);
  if (m_count++ == 0) {
    m_exit = exit_code_for(e);
  }
}

void add_human_flag(Subcommand& sub, core::SizeStyle& sizes, const char* names) {
  sub.add_flag_callback(
      names, [&sizes] { sizes = core::SizeStyle::human; },
      "print byte sizes in short binary units (1.5G, 512M, 4.0K); JSON keeps bytes");
}

void add_fuse_flags(Subcommand& sub, bool& nofuse, const char* fuse_names) {
  sub.add_flag(fuse_names)
      ->description("accepted for upstream famfs scripts: famfs always works through FUSE");
  sub.add_flag("-F,--nofuse", nofuse, "refused: the famfs v1 kernel module is not supported");
}

Error nofuse_refused() {
  return make_error(Errc::unsupported, "--nofuse: the famfs v1 kernel module is not supported; "
                                       "this famfs always works through FUSE");
}

std::string bytes_text(std::uint64_t n, core::SizeStyle sizes) {
  return sizes == core::SizeStyle::human ? core::human_size(n) : fmt::format("{} bytes", n);
}

Opt* add_size_option(Subcommand& sub,
                     const std::string& names,
                     std::string& value,
                     const std::string& help) {
  const Check valid = custom_check("size", [](const std::string& s) {
    auto r = parse_size(s);
    return r ? std::string() : r.error().message;
  });
  return sub.add_option(names, value, help)->type_name("SIZE")->check(valid);
}

Result<std::uint32_t> parse_mode(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 8);
  if (text.empty() || errno != 0 || *end != 0 || v > 07777) {
    return fail(Errc::invalid_argument, "{}: not an octal mode", text);
  }
  const auto mode = static_cast<std::uint32_t>(v);
  if (auto why = log::mode_problem(mode); !why.empty()) {
    return fail(Errc::invalid_argument, "-m {}: {}", text, why);
  }
  return mode;
}

} // namespace famfs::cli

#include "core/size_text.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <utility>

namespace famfs::core {

namespace {

// The value of hex or decimal digit `c` in `base`, or -1.
int digit_value(char c, unsigned base) {
  int v = -1;
  if (c >= '0' && c <= '9') {
    v = c - '0';
  } else if (base == 16 && c >= 'a' && c <= 'f') {
    v = c - 'a' + 10;
  } else if (base == 16 && c >= 'A' && c <= 'F') {
    v = c - 'A' + 10;
  }
  return v;
}

// The power of 1024 of a unit suffix ("k", "KiB", "mb", ...), or -1; "" is 0.
int suffix_shift(std::string_view s) {
  if (s.empty()) {
    return 0;
  }
  static constexpr std::string_view k_units = "kmgt";
  const auto u = k_units.find(static_cast<char>(s.front() | 0x20));
  const std::string_view tail = s.substr(1);
  if (u == std::string_view::npos
      || !(tail.empty() || tail == "iB" || tail == "ib" || tail == "B" || tail == "b")) {
    return -1;
  }
  return 10 * static_cast<int>(u + 1);
}

} // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  if (text.empty()) {
    return fail(Errc::invalid_argument, "empty size");
  }
  unsigned base = 10;
  std::string_view rest = text;
  if (rest.size() > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')) {
    base = 16;
    rest.remove_prefix(2);
  }
  std::uint64_t v = 0;
  bool too_large = false;
  std::size_t n = 0;
  for (; n < rest.size(); ++n) {
    const int d = digit_value(rest[n], base);
    if (d < 0) {
      break;
    }
    // Keep reading digits after an overflow, so "99999999999999999999x" is "not a size".
    too_large = too_large || v > (k_max_size - static_cast<unsigned>(d)) / base;
    v = too_large ? v : v * base + static_cast<unsigned>(d);
  }
  const int shift = suffix_shift(rest.substr(n));
  if (n == 0 || shift < 0) {
    return fail(Errc::invalid_argument,
                "{}: not a size (a number, decimal or 0x hex, with an "
                "optional k, m, g or t suffix)",
                text);
  }
  if (too_large || v > (k_max_size >> shift)) {
    return fail(Errc::invalid_argument, "{}: size too large (the largest is {} bytes)", text,
                k_max_size);
  }
  return v << shift;
}

std::optional<std::uint64_t> round_up_checked(std::uint64_t v, std::uint64_t unit) {
  const std::uint64_t rem = v % unit;
  if (rem == 0) {
    return v;
  }
  const std::uint64_t add = unit - rem;
  if (v > UINT64_MAX - add) {
    return std::nullopt;
  }
  return v + add;
}

std::string size_arg(std::uint64_t n) {
  static constexpr std::pair<unsigned, char> k_units[] = {
      {40, 't'}, {30, 'g'}, {20, 'm'}, {10, 'k'}};
  for (const auto& [shift, suffix] : k_units) {
    if (n != 0 && n % (std::uint64_t{1} << shift) == 0) {
      return fmt::format("{}{}", n >> shift, suffix);
    }
  }
  return fmt::format("{}", n);
}

std::string human_size(std::uint64_t n) {
  if (n < 1024) {
    return fmt::format("{}", n);
  }
  static constexpr char k_units[] = "KMGTPE";
  static constexpr std::size_t k_last = sizeof(k_units) - 2;
  // long double holds every u64 exactly on the targets we build for; the rounding below is
  // done once, on the value shown.
  long double v = static_cast<long double>(n) / 1024.0L;
  std::size_t u = 0;
  while (v >= 1024.0L && u < k_last) {
    v /= 1024.0L;
    ++u;
  }
  if (v < 10.0L) {
    const long double tenths = std::round(v * 10.0L) / 10.0L;
    if (tenths < 10.0L) {
      return fmt::format("{:.1f}{}", static_cast<double>(tenths), k_units[u]);
    }
    v = tenths; // 9.96 shows as 10
  }
  const long double whole = std::round(v);
  if (whole >= 1024.0L && u < k_last) {
    return fmt::format("1.0{}", k_units[u + 1]); // 1023.6K shows as 1.0M
  }
  return fmt::format("{:.0f}{}", static_cast<double>(whole), k_units[u]);
}

std::string size_words(std::uint64_t n) {
  if (n < 1024) {
    return fmt::format("{} bytes", n);
  }
  std::string s = human_size(n);
  const char unit = s.back();
  s.pop_back();
  return fmt::format("{} {}iB", s, unit);
}

std::string size_text(std::uint64_t n, SizeStyle style) {
  return style == SizeStyle::human ? human_size(n) : fmt::format("{}", n);
}

} // namespace famfs::core

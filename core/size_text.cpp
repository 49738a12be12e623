#include "core/size_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace famfs::core {

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

std::string size_text(std::uint64_t n, SizeStyle style) {
  return style == SizeStyle::human ? human_size(n) : fmt::format("{}", n);
}

} // namespace famfs::core

// How reports print byte counts: exact bytes (the default, upstream-compatible) or, with the
// commands' -H/--human, a short binary-unit form as `ls -h` prints it. JSON always uses bytes.
#pragma once

#include <cstdint>
#include <string>

namespace famfs::core {

enum class SizeStyle { bytes, human };

// `n` in the short human form: below 1024 the plain number ("512"); else one decimal below 10
// and none from 10 up, with K, M, G, T, P or E (powers of 1024), rounded to the nearest:
// 4096 -> "4.0K", 1.5 GiB -> "1.5G", 512 MiB -> "512M".
std::string human_size(std::uint64_t n);

// `n` as a number of bytes ("1048576") or, for SizeStyle::human, as human_size() ("1.0M").
std::string size_text(std::uint64_t n, SizeStyle style);

} // namespace famfs::core

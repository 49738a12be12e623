// Sizes as text, both ways. Reading: the one SIZE grammar of every option (famfs(1), SIZES).
// Printing: exact bytes (the default, upstream-compatible) or, with the commands' -H/--human, a
// short binary-unit form as `ls -h` prints it. JSON always uses bytes.
#pragma once

#include "log/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace famfs::core {

// The largest size any option accepts: a file offset (off_t) is signed, so nothing larger can be
// created, mapped or stored. Rounding a size up to allocation units cannot wrap below this.
inline constexpr std::uint64_t k_max_size = (std::uint64_t{1} << 63) - 1;

// Parses a SIZE: decimal digits (leading zeros mean nothing: "010" is ten) or 0x/0X and hex
// digits, then optionally one of k, m, g, t (any case; powers of 1024), which may be followed by
// "iB" or "B" ("4k", "4KiB", "0x10m"). Errc::invalid_argument for anything else ("not a size")
// and for a value above k_max_size ("size too large"), overflow included.
Result<std::uint64_t> parse_size(std::string_view text);

// `v` rounded up to a multiple of `unit` (> 0); std::nullopt instead of wrapping past 2^64.
std::optional<std::uint64_t> round_up_checked(std::uint64_t v, std::uint64_t unit);

// `n` as a SIZE that parse_size() reads back, in the largest unit that holds it exactly ("12m",
// "3k", "100"): for hints that name an option value.
std::string size_arg(std::uint64_t n);

enum class SizeStyle { bytes, human };

// `n` in the short human form: below 1024 the plain number ("512"); else one decimal below 10
// and none from 10 up, with K, M, G, T, P or E (powers of 1024), rounded to the nearest:
// 4096 -> "4.0K", 1.5 GiB -> "1.5G", 512 MiB -> "512M".
std::string human_size(std::uint64_t n);

// `n` for a sentence: "512 bytes", else human_size() with a spaced binary unit ("100 TiB",
// "64 MiB", "1.5 GiB").
std::string size_words(std::uint64_t n);

// `n` as a number of bytes ("1048576") or, for SizeStyle::human, as human_size() ("1.0M").
std::string size_text(std::uint64_t n, SizeStyle style);

} // namespace famfs::core

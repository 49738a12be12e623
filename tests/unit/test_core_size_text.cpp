// The one SIZE grammar (core::parse_size) and overflow-safe rounding, table-driven.
#include "core/size_text.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

using namespace famfs;
using famfs::core::k_max_size;
using famfs::core::parse_size;

namespace {

struct SizeCase {
  const char* text;
  std::optional<std::uint64_t> value; // nullopt: refused
  const char* message = "";           // a fragment of the refusal
};

constexpr std::uint64_t k_k = 1024;

const SizeCase k_cases[] = {
    {"0", 0},
    {"1", 1},
    {"4096", 4096},
    {"010", 10}, // decimal: a leading zero is not octal
    {"0010k", 10 * k_k},
    {"08", 8},
    {"0x10", 16},
    {"0X1f", 31},
    {"0x10m", 16 << 20},
    {"4k", 4 * k_k},
    {"4K", 4 * k_k},
    {"4KiB", 4 * k_k},
    {"4kb", 4 * k_k},
    {"2m", 2 << 20},
    {"3g", 3ULL << 30},
    {"5T", 5ULL << 40},
    {"8388607t", 8388607ULL << 40},
    {"9223372036854775807", k_max_size},
    {"0x7fffffffffffffff", k_max_size},
    {"", std::nullopt, "empty size"},
    {"x", std::nullopt, "not a size"},
    {"0x", std::nullopt, "not a size"},
    {"k", std::nullopt, "not a size"},
    {"-1", std::nullopt, "not a size"},
    {"+1", std::nullopt, "not a size"},
    {" 1", std::nullopt, "not a size"},
    {"1 ", std::nullopt, "not a size"},
    {"1.5m", std::nullopt, "not a size"},
    {"4p", std::nullopt, "not a size"},
    {"4kk", std::nullopt, "not a size"},
    {"4kiBx", std::nullopt, "not a size"},
    {"0xg", std::nullopt, "not a size"},
    {"12ab", std::nullopt, "not a size"},
    {"99999999999999999999999x", std::nullopt, "not a size"},
    {"9223372036854775808", std::nullopt, "size too large"},  // 2^63
    {"18446744073709551615", std::nullopt, "size too large"}, // 2^64 - 1
    {"18446744073709551616", std::nullopt, "size too large"}, // 2^64
    {"99999999999999999999999", std::nullopt, "size too large"},
    {"0x8000000000000000", std::nullopt, "size too large"},
    {"0xffffffffffffffffffff", std::nullopt, "size too large"},
    {"8388608t", std::nullopt, "size too large"}, // 2^63
    {"16000000t", std::nullopt, "size too large"},
    {"8589934592g", std::nullopt, "size too large"},
};

} // namespace

TEST_CASE("core::parse_size: one grammar for every SIZE", "[core]") {
  for (const auto& c : k_cases) {
    INFO("text: \"" << c.text << "\"");
    auto r = parse_size(c.text);
    if (c.value) {
      REQUIRE(r.has_value());
      CHECK(*r == *c.value);
    } else {
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == Errc::invalid_argument);
      CHECK_THAT(r.error().message, Catch::Contains(c.message));
    }
  }
}

TEST_CASE("core::round_up_checked: never wraps", "[core]") {
  constexpr std::uint64_t au = 2 << 20;
  CHECK(core::round_up_checked(0, au) == 0U);
  CHECK(core::round_up_checked(1, au) == au);
  CHECK(core::round_up_checked(au, au) == au);
  CHECK(core::round_up_checked(k_max_size, au) == k_max_size + 1);
  CHECK(core::round_up_checked(UINT64_MAX - au + 1, au) == UINT64_MAX - au + 1);
  CHECK_FALSE(core::round_up_checked(UINT64_MAX, au).has_value());
  CHECK_FALSE(core::round_up_checked(UINT64_MAX - au + 2, au).has_value());
}

TEST_CASE("core::size_arg: the largest exact unit, read back by parse_size", "[core]") {
  const std::pair<std::uint64_t, const char*> rows[] = {
      {0, "0"},           {100, "100"},         {1536, "1536"} /* 1.5k is not exact */,
      {4096, "4k"},       {12ULL << 20, "12m"}, {(1ULL << 30) + 4096, "1048580k"},
      {8ULL << 30, "8g"}, {2ULL << 40, "2t"},   {(1ULL << 40) + 1, "1099511627777"}};
  for (const auto& [n, text] : rows) {
    INFO(n);
    CHECK(core::size_arg(n) == text);
    CHECK(*parse_size(core::size_arg(n)) == n);
  }
}

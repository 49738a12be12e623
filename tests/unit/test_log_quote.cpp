// log::quote_name and log::escape_controls: the one place names and messages are made safe for a
// terminal, table-driven.
#include "log/quote.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace famfs;

TEST_CASE("log::quote_name: GNU ls shell quoting, only when needed", "[log]") {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"with space", "with space"},
      {"it's", "it's"}, // nothing a terminal acts on: unchanged
      {"", ""},
      {"a\nb", "'a'$'\\n''b'"},
      {"\x1b[31mred", "$'\\033''[31mred'"},
      {"tab\t", "'tab'$'\\t'"},
      {"x\x7f", "'x'$'\\177'"},
      {"it's\n", "'it'\\''s'$'\\n'"},
      {"\r\n", "$'\\r\\n'"},
      {std::string("nul\0x", 5), "'nul'$'\\000''x'"},
  };
  for (const auto& c : cases) {
    INFO("in: " << log::escape_controls(c.in));
    CHECK(log::quote_name(c.in) == c.out);
  }
}

TEST_CASE("log::escape_controls: C escapes for every control byte", "[log]") {
  CHECK(log::escape_controls("no controls: 'x' \\ y") == "no controls: 'x' \\ y");
  CHECK(log::escape_controls("a\nb\tc\x1b") == "a\\nb\\tc\\033");
  CHECK(log::escape_controls("\a\b\v\f") == "\\a\\b\\v\\f");
  for (int c = 0; c < 256; ++c) {
    const std::string s = log::escape_controls(std::string(1, static_cast<char>(c)));
    for (char ch : s) {
      CHECK_FALSE(log::is_control(ch));
    }
  }
}

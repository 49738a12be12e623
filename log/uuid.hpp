// UUIDs as famfs stores them: 16 raw bytes in RFC 4122 text order (no byte swapping).
#pragma once

#include "log/result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace famfs::log {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  // Lower-case 36-character text, as uuid_unparse prints it.
  std::string str() const;
  bool is_nil() const;
  // Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case).
  static Result<Uuid> parse(std::string_view text);
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

} // namespace famfs::log

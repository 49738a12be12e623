#include "log/uuid.hpp"

namespace famfs::log {

std::string Uuid::str() const {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      s += '-';
    }
    s += k_hex[bytes[i] >> 4];
    s += k_hex[bytes[i] & 0xf];
  }
  return s;
}

bool Uuid::is_nil() const {
  for (auto b : bytes) {
    if (b != 0) {
      return false;
    }
  }
  return true;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}
} // namespace

Result<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) {
    return fail(Errc::invalid_argument, "'{}' is not a UUID", text);
  }
  Uuid u;
  std::size_t out = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') {
        return fail(Errc::invalid_argument, "'{}' is not a UUID", text);
      }
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(Errc::invalid_argument, "'{}' is not a UUID", text);
    }
    u.bytes[out++] = static_cast<std::uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return u;
}

} // namespace famfs::log

#include "log/quote.hpp"

#include <fmt/format.h>

namespace famfs::log {

namespace {

// The C escape of control byte `c`: \n, \t ... or three octal digits (\033).
std::string escape_of(char c) {
  switch (c) {
  case '\a':
    return "\\a";
  case '\b':
    return "\\b";
  case '\t':
    return "\\t";
  case '\n':
    return "\\n";
  case '\v':
    return "\\v";
  case '\f':
    return "\\f";
  case '\r':
    return "\\r";
  default:
    return fmt::format("\\{:03o}", static_cast<unsigned char>(c));
  }
}

bool has_control(std::string_view s) {
  for (char c : s) {
    if (is_control(c)) {
      return true;
    }
  }
  return false;
}

} // namespace

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string quote_name(std::string_view name) {
  if (!has_control(name)) {
    return std::string(name);
  }
  std::string out;
  std::size_t i = 0;
  while (i < name.size()) {
    const bool control = is_control(name[i]);
    out += control ? "$'" : "'";
    for (; i < name.size() && is_control(name[i]) == control; ++i) {
      if (control) {
        out += escape_of(name[i]);
      } else {
        out += name[i] == '\'' ? std::string("'\\''") : std::string(1, name[i]);
      }
    }
    out += '\'';
  }
  return out;
}

std::string escape_controls(std::string_view text) {
  if (!has_control(text)) {
    return std::string(text);
  }
  std::string out;
  for (char c : text) {
    out += is_control(c) ? escape_of(c) : std::string(1, c);
  }
  return out;
}

} // namespace famfs::log

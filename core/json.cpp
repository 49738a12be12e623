#include "core/json.hpp"

#include "log/result.hpp"

#include <fmt/format.h>

#include <cmath>

namespace famfs::core {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points past U+10FFFF are refused, as RFC 3629 requires).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b0 < 0x80) {
    return 1;
  }
  if ((b0 & 0xe0) == 0xc0) {
    n = 2;
    cp = b0 & 0x1fU;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3;
    cp = b0 & 0x0fU;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4;
    cp = b0 & 0x07U;
  } else {
    return 0;
  }
  if (s.size() - i < n) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3fU);
  }
  const std::uint32_t min_cp = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min_cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

} // namespace

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      } else if (c < 0x80) {
        out += static_cast<char>(c);
      } else {
        std::size_t n = utf8_length(s, i);
        if (n == 0) {
          out += "\\ufffd";
        } else {
          out.append(s.substr(i, n));
          i += n;
          continue;
        }
      }
    }
    ++i;
  }
  out += '"';
  return out;
}

void JsonWriter::newline_indent() {
  m_out += '\n';
  m_out.append(2 * m_stack.size(), ' ');
}

void JsonWriter::before_value() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  if (m_stack.empty()) {
    FAMFS_ASSERT(!m_started); // one top-level value per document
    m_started = true;
    return;
  }
  Level& top = m_stack.back();
  FAMFS_ASSERT(!top.is_object); // object members need a key
  if (!top.empty) {
    m_out += ',';
  }
  top.empty = false;
  newline_indent();
}

void JsonWriter::write_key(std::string_view key) {
  FAMFS_ASSERT(!m_stack.empty() && m_stack.back().is_object && !m_after_key);
  Level& top = m_stack.back();
  if (!top.empty) {
    m_out += ',';
  }
  top.empty = false;
  newline_indent();
  m_out += json_quote(key);
  m_out += ": ";
  m_after_key = true;
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  m_out += '{';
  m_stack.push_back(Level{true, true});
  return *this;
}

JsonWriter& JsonWriter::begin_object(std::string_view key) {
  write_key(key);
  return begin_object();
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  m_out += '[';
  m_stack.push_back(Level{false, true});
  return *this;
}

JsonWriter& JsonWriter::begin_array(std::string_view key) {
  write_key(key);
  return begin_array();
}

JsonWriter& JsonWriter::end_object() {
  FAMFS_ASSERT(!m_stack.empty() && m_stack.back().is_object && !m_after_key);
  bool empty = m_stack.back().empty;
  m_stack.pop_back();
  if (!empty) {
    newline_indent();
  }
  m_out += '}';
  if (m_stack.empty()) {
    m_out += '\n';
  }
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  FAMFS_ASSERT(!m_stack.empty() && !m_stack.back().is_object);
  bool empty = m_stack.back().empty;
  m_stack.pop_back();
  if (!empty) {
    newline_indent();
  }
  m_out += ']';
  if (m_stack.empty()) {
    m_out += '\n';
  }
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  m_out += json_quote(s);
  return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t v) {
  before_value();
  m_out += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t v) {
  before_value();
  m_out += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  if (!std::isfinite(v)) {
    return null();
  }
  before_value();
  m_out += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  before_value();
  m_out += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  m_out += "null";
  return *this;
}

} // namespace famfs::core

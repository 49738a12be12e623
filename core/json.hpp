// A small streaming JSON writer for the machine-readable output of famfs commands (fsck, mkfs,
// and later logplay, getmap, status). It writes compact-but-readable JSON: two-space indentation,
// one member per line. Strings are escaped per RFC 8259; bytes that are not valid UTF-8 (a damaged
// path in the log, say) become U+FFFD so the output always parses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace famfs::core {

// Returns `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

class JsonWriter {
public:
  // Starts an object or an array: as the top-level value, as an array element, or (with the
  // key overloads) as an object member.
  JsonWriter& begin_object();
  JsonWriter& begin_object(std::string_view key);
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& begin_array(std::string_view key);
  JsonWriter& end_array();

  // Array elements.
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<std::uint64_t>(v)); }
  JsonWriter& value(double v); // non-finite values are written as null
  JsonWriter& value(bool v);
  JsonWriter& null();

  // Object members: key then value.
  template <typename T> JsonWriter& member(std::string_view key, const T& v) {
    write_key(key);
    return value(v);
  }
  JsonWriter& null_member(std::string_view key) {
    write_key(key);
    return null();
  }

  // The document so far; complete once every begin has its end. Ends with a newline then.
  const std::string& str() const { return m_out; }
  // True once the top-level value is closed.
  bool done() const { return m_stack.empty() && m_started; }

private:
  void write_key(std::string_view key);
  void before_value();
  void newline_indent();

  struct Level {
    bool is_object = false;
    bool empty = true;
  };
  std::string m_out;
  std::vector<Level> m_stack;
  bool m_after_key = false;
  bool m_started = false;
};

} // namespace famfs::core

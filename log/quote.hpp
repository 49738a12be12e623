// Text shown to a person that may carry bytes a terminal acts on (a name with a newline or an
// escape sequence, from a user or from a hostile log). GNU ls and cp quote such names in shell
// syntax; famfs does the same, and only when needed, so that ordinary names print unchanged.
// This is the one place that knows the escapes; the CLI and fsck call it.
#pragma once

#include <string>
#include <string_view>

namespace famfs::log {

// True for the bytes a terminal may act on: below 0x20, and 0x7f.
bool is_control(char c);

// `name` unchanged when it holds no control byte; otherwise quoted as GNU ls and cp quote it for
// a shell: printable runs in '...' (a ' as '\''), control runs in $'...' with C escapes
// (\n, \t, \033 ...): "a\nb" -> 'a'$'\n''b'.
std::string quote_name(std::string_view name);

// `text` with each control byte replaced by its C escape (\n, \033 ...): for whole messages that
// may carry a name nobody quoted. Text without control bytes is returned unchanged.
std::string escape_controls(std::string_view text);

} // namespace famfs::log

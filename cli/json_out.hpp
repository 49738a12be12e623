// The one JSON schema of famfs's --json output (famfs(1), JSON OUTPUT), as far as it is shared:
// every document is one object with "exit_code"; a failure that stops a command adds an "error"
// object (message, hint); problems are objects with at least "severity" and "message". A
// command that fails before it prints its own document gets the fallback document below, which
// main() prints from the errors the command reported (Context::errors).
#pragma once

#include "cli/command.hpp"
#include "core/json.hpp"

#include <string>
#include <vector>

namespace famfs::cli {

// "error": {"message": ..., "hint": ... | null}
void write_error(core::JsonWriter& j, const Error& e);
// "problems": [{"severity": "error", "message": ...}, ...] from messages.
void write_message_problems(core::JsonWriter& j, const std::vector<std::string>& messages);
// {"command", "exit_code", "error", "problems"} for a command that failed without a document:
// the first error reported is "error", every one is in "problems".
std::string failure_json(const Context& ctx, int exit_code);
// `doc` (a command's document, exit status not 0) with an "error" member holding `e` added
// when it has none at its top level, so that every failed command's document says why.
std::string with_error_member(std::string doc, const Error& e);
// A role as the JSON says it: "master", "client" (fsck's text says "Owner", "Client").
std::string json_role(const std::string& role);

} // namespace famfs::cli

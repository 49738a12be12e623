#include "cli/json_out.hpp"

namespace famfs::cli {

void write_error(core::JsonWriter& j, const Error& e) {
  j.begin_object("error");
  j.member("message", e.message);
  if (e.hint.empty()) {
    j.null_member("hint");
  } else {
    j.member("hint", e.hint);
  }
  j.end_object();
}

void write_message_problems(core::JsonWriter& j, const std::vector<std::string>& messages) {
  j.begin_array("problems");
  for (const auto& m : messages) {
    j.begin_object();
    j.member("severity", "error");
    j.member("message", m);
    j.end_object();
  }
  j.end_array();
}

std::string failure_json(const Context& ctx, int exit_code) {
  core::JsonWriter j;
  j.begin_object();
  j.member("command", ctx.command);
  j.member("exit_code", exit_code);
  write_error(j, ctx.errors.empty() ? make_error(Errc::internal, "failed") : ctx.errors.front());
  std::vector<std::string> messages;
  for (const auto& e : ctx.errors) {
    messages.push_back(e.message);
  }
  write_message_problems(j, messages);
  j.end_object();
  return j.str();
}

std::string with_error_member(std::string doc, const Error& e) {
  const auto close = doc.rfind("\n}");
  if (doc.rfind("{\n", 0) != 0 || close == std::string::npos
      || doc.find("\n  \"error\": ") != std::string::npos) {
    return doc;
  }
  core::JsonWriter j;
  j.begin_object();
  write_error(j, e);
  j.end_object();
  const std::string& m = j.str(); // "{\n  \"error\": {...}\n}\n"
  doc.insert(close, ",\n" + m.substr(2, m.rfind("\n}") - 2));
  return doc;
}

std::string json_role(const std::string& role) {
  if (role == "Owner" || role == "master") {
    return "master";
  }
  if (role == "Client" || role == "client") {
    return "client";
  }
  return "unknown";
}

} // namespace famfs::cli

#include "mailtriage/milter/messages.hpp"

#include <type_traits>

#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::milter {

bool is_final(const reply& r) {
  return std::holds_alternative<accept>(r) || std::holds_alternative<continue_>(r) ||
         std::holds_alternative<discard>(r) || std::holds_alternative<reject>(r) ||
         std::holds_alternative<tempfail>(r) || std::holds_alternative<reply_code>(r) ||
         std::holds_alternative<skip>(r) || std::holds_alternative<connection_failure>(r) ||
         std::holds_alternative<shutdown>(r) || std::holds_alternative<option_negotiation>(r);
}

std::uint32_t required_action(const reply& r) {
  return std::visit(
      [](const auto& v) -> std::uint32_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, add_header>) return action::add_headers;
        else if constexpr (std::is_same_v<T, insert_header>) return action::add_headers;
        else if constexpr (std::is_same_v<T, change_header>) return action::change_headers;
        else if constexpr (std::is_same_v<T, change_from>) return action::change_from;
        else if constexpr (std::is_same_v<T, add_recipient>)
          return v.esmtp_args ? action::add_recipient_par : action::add_recipient;
        else if constexpr (std::is_same_v<T, delete_recipient>) return action::delete_recipient;
        else if constexpr (std::is_same_v<T, replace_body>) return action::change_body;
        else if constexpr (std::is_same_v<T, quarantine>) return action::quarantine;
        else return 0;
      },
      r);
}

bool is_modification(const reply& r) { return required_action(r) != 0; }

const char* name_of(const reply& r) {
  static constexpr const char* names[] = {
      "negotiate",     "accept",        "continue",      "discard",       "reject",
      "tempfail",      "skip",          "progress",      "connection_failure", "shutdown",
      "reply_code",    "add_header",    "insert_header", "change_header", "change_from",
      "add_recipient", "delete_recipient", "replace_body", "quarantine"};
  static_assert(std::size(names) == std::variant_size_v<reply>);
  return names[r.index()];
}

const char* outcome_name(const reply& r) {
  if (const auto* code = std::get_if<reply_code>(&r)) return !code->text.empty() && code->text[0] == '4' ? "tempfail" : "reject";
  return name_of(r);
}

const char* name_of(const command& c) {
  static constexpr const char* names[] = {"negotiate", "macro", "connect", "helo", "mail",
                                          "rcpt",      "data",  "header",  "eoh",  "body",
                                          "eom",       "abort", "quit",    "quit_nc", "unknown"};
  static_assert(std::size(names) == std::variant_size_v<command>);
  return names[c.index()];
}

}  // namespace mailtriage::milter

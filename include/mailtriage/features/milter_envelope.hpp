#pragma once
// Adapter from the milter's transaction to envelope_facts (header-only, so the features
// library does not link the milter component). Pure function, thread-safe.
#include <string>
#include <string_view>

#include "mailtriage/features/envelope.hpp"
#include "mailtriage/milter/transaction.hpp"

namespace mailtriage::features {

[[nodiscard]] inline envelope_facts envelope_from_transaction(const milter::transaction& t) {
  envelope_facts e;
  e.known = true;
  const auto& c = t.connection;
  std::string_view addr = t.macro("client_addr");
  e.client_address = std::string(addr.empty() ? std::string_view(c.client_address) : addr);
  // Postfix sends "[1.2.3.4]" as the connect host name when the name is not verified.
  std::string_view name = t.macro("client_name");
  if (name.empty() && !c.client_hostname.empty() && c.client_hostname.front() != '[') name = c.client_hostname;
  if (name != "unknown") e.client_name = std::string(name);
  e.client_ptr = std::string(t.macro("client_ptr"));
  std::string_view resolve = t.macro("client_resolve");
  if (resolve == "OK") e.ptr = ptr_status::ok;
  else if (resolve == "FAIL") e.ptr = ptr_status::fail;
  else if (resolve == "TEMP") e.ptr = ptr_status::temp;
  else if (resolve == "FORGED") e.ptr = ptr_status::forged;
  e.helo = c.helo.empty() ? std::string(t.macro("s")) : c.helo;
  e.authenticated = !t.macro("auth_authen").empty() || !t.macro("auth_type").empty();
  e.tls = !t.macro("tls_version").empty();
  if (!t.sender.empty()) {
    std::string_view s = t.sender.front();
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
    e.sender = std::string(s);
  }
  e.recipient_count = static_cast<std::uint32_t>(t.recipients.size());
  return e;
}

}  // namespace mailtriage::features

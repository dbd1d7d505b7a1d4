#pragma once
// One message as the milter saw it: the connection facts, the envelope, the macros
// and the raw bytes (headers rebuilt from SMFIC_HEADER, then the body), buffered up to
// the scan limit. A plain value, moved from the session to the verdict worker.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mailtriage::milter {

using macro_map = std::map<std::string, std::string, std::less<>>;

struct connection_facts {
  std::string client_hostname;  // from SMFIC_CONNECT ("[1.2.3.4]" when unresolved)
  char family = 'U';
  std::uint16_t port = 0;
  std::string client_address;
  std::string helo;
  macro_map macros;  // connect- and HELO-stage macros, names without braces
};

struct header_ref {  // name and per-name position, for header edits at end of message
  std::string name;
  std::uint32_t index = 0;  // 1-based among headers of the same name (case-insensitive)
};

struct transaction {
  connection_facts connection;
  std::vector<std::string> sender;                   // MAIL FROM args: address, ESMTP params
  std::vector<std::vector<std::string>> recipients;  // RCPT TO args, one entry per recipient
  macro_map macros;                                  // message-stage macros, names without braces
  std::vector<header_ref> headers;                   // up to session_limits::max_headers
  std::size_t header_count = 0;                      // all headers, remembered or not
  std::string raw;             // headers + blank line + body, CRLF, at most scan_bytes
  std::size_t message_bytes = 0;  // bytes the MTA sent, scanned or not
  bool truncated = false;      // raw stops at the scan limit
  std::string session;         // the connection's id in logs ("c00002a"), set by the server

  // A macro by name, with or without braces ("i", "{auth_authen}"); message macros
  // shadow connection macros. Empty when absent.
  [[nodiscard]] std::string_view macro(std::string_view name) const;
  // The queue id (macro "i"), or "-" when the MTA did not send it.
  [[nodiscard]] std::string_view queue_id() const;
};

}  // namespace mailtriage::milter

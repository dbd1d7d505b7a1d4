#pragma once
// Milter socket specifications as opendkim and Postfix's MILTER_README write them:
//   inet:PORT@HOST   inet:PORT (all IPv4 addresses)   inet6:PORT@[ADDR]   inet6:PORT
//   unix:/path   local:/path   /path
#include <cstdint>
#include <string>
#include <string_view>

#include "mailtriage/util/expected.hpp"

namespace mailtriage::milter {

struct socket_spec {
  enum class kind { inet, inet6, unix_path };
  kind type = kind::inet;
  std::string host;  // numeric address or host name, brackets removed; empty = any
  std::uint16_t port = 0;
  std::string path;  // for unix sockets

  // Back to the canonical text form (for logs and errors).
  [[nodiscard]] std::string to_string() const;
};

// Parses a spec; the error string says what is wrong with it.
[[nodiscard]] expected<socket_spec, std::string> parse_socket_spec(std::string_view text);

}  // namespace mailtriage::milter

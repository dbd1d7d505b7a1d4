#pragma once
// What the MTA told the milter about the connection and envelope of one message.
// A plain value type owned by the caller; copy it freely; not synchronised (concurrent
// const access is safe). When features are computed from files, `known` is false and
// every envelope feature is left missing (absent from the vector), never zero.
#include <cstdint>
#include <string>

namespace mailtriage::features {

enum class ptr_status : std::uint8_t {
  unknown,  // the MTA did not say
  ok,       // forward-confirmed reverse DNS ({client_resolve} OK)
  fail,     // no PTR record
  temp,     // temporary DNS failure
  forged,   // PTR name does not resolve back to the address
};

struct envelope_facts {
  bool known = false;            // false: featurizing a file, no milter facts at all
  std::string client_address;    // "192.0.2.1", "2001:db8::1", "" when unknown / unix socket
  std::string client_name;       // verified client host name ("unknown" or "" when none)
  std::string client_ptr;        // PTR name, even when not verified
  ptr_status ptr = ptr_status::unknown;
  std::string helo;              // HELO/EHLO argument
  bool authenticated = false;    // SMTP AUTH succeeded ({auth_authen} / {auth_type} set)
  bool tls = false;              // TLS in use ({tls_version} set)
  std::string sender;            // MAIL FROM address without <>, "" for the null sender
  std::uint32_t recipient_count = 0;
};

}  // namespace mailtriage::features

#pragma once
// Host names, e-mail addresses and URLs (private helpers). Pure functions, thread-safe,
// never throw on any input (std::bad_alloc aside).
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/features/freemail.hpp"
#include "mailtriage/util/ascii.hpp"

namespace mailtriage::features::detail {

// is_freemail for a domain already reduced to its registrable part.
[[nodiscard]] bool is_freemail_registrable(std::string_view registrable);
using util::iequals;
using util::istarts_with;
using util::to_lower;
[[nodiscard]] bool icontains(std::string_view hay, std::string_view needle);
[[nodiscard]] std::string_view trim(std::string_view s);

// Dotted-quad IPv4 ("1.2.3.4"), or anything with ':' made of hex digits, ':' and '.'.
[[nodiscard]] bool is_ipv4(std::string_view s);
[[nodiscard]] bool is_ip_literal(std::string_view host);  // also "[1.2.3.4]", "[IPv6:...]"

// Registrable domain approximation: the last two labels, or three when the last two form
// a known multi-label public suffix (co.uk, com.au, ...). Lower-case; IPs returned as-is;
// "" for an empty or label-less host.
[[nodiscard]] std::string registrable_domain(std::string_view host);

// Domain part of an address ("a@b.example" -> "b.example", lower-case), "" when none.
[[nodiscard]] std::string address_domain(std::string_view addr);

struct mailbox {
  std::string display;  // display name, quotes removed
  std::string address;  // addr-spec, angle brackets removed
};
// Mailboxes of an address-list header value (decoded). Tolerant, bounded to 100 entries.
[[nodiscard]] std::vector<mailbox> parse_mailboxes(std::string_view value);

struct url_parts {
  std::string scheme;  // lower-case, "" when none ("www." URLs)
  std::string host;    // lower-case, trailing dot removed, brackets removed for IPv6
  bool userinfo = false;
  bool port = false;
};
// Splits an absolute URL (or "www." URL). Returns false when no host can be found.
[[nodiscard]] bool parse_url(std::string_view url, url_parts& out);

[[nodiscard]] bool is_shortener(std::string_view host);
// True when some label mixes ASCII letters with non-ASCII (UTF-8) characters.
[[nodiscard]] bool is_mixed_script(std::string_view host);

// Looks like a host name: two or more labels of [a-z0-9-], last one 2-24 letters.
[[nodiscard]] bool looks_like_domain(std::string_view word);

}  // namespace mailtriage::features::detail

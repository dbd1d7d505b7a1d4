// Group "alignment": does the content point to, and name, the sender's own domains, and
// does it address its recipient? Commercial mail a company stands behind links to its own
// site (or its mailing provider's, which also signs the Return-Path and Message-ID), names
// itself in the footer and often says whom it was sent to; bulk spam and phishing link
// elsewhere and greet nobody. Newsletters are the ham closest to spam, where word
// evidence alone fails (docs/QUALITY.md gives what these columns changed in
// cross-validation).
#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domains.hpp"
#include "groups.hpp"

namespace mailtriage::features::detail {
namespace {

// Most visible-text bytes searched per message (like the PII scan's budget).
constexpr std::size_t kSearchBytes = std::size_t{512} << 10;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}
// Before an address, also the characters a longer local part would have.
bool address_char(char c) { return name_char(c) || c == '.' || c == '_' || c == '+'; }

// Whether `needle` (lower-case, holding `anchor`) occurs in the visible text, ASCII case-
// insensitively, as a whole name: not inside a longer host name or word ("fool.com" is
// not in "myfool.community"), nor, for an address, at the end of a longer local part.
// Every occurrence has the anchor ('@' of an address, the first '.' of a domain) at the
// same offset, and anchors are rare in text, so memchr finds the few places to compare.
bool named_in_text(const mime::message& msg, std::string_view needle, char anchor, bool (*continues_before)(char)) {
  const std::size_t offset = needle.find(anchor);
  if (needle.empty() || offset == std::string_view::npos) return false;
  std::size_t room = kSearchBytes;
  for (const auto& block : msg.texts) {
    if (room == 0) break;
    const std::string_view text = std::string_view(block.text).substr(0, std::min(block.text.size(), room));
    room -= text.size();
    for (std::size_t from = offset; from < text.size();) {
      const void* hit = std::memchr(text.data() + from, anchor, text.size() - from);
      if (hit == nullptr) break;
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
      from = at + 1;
      if (at < offset || at - offset + needle.size() > text.size()) continue;
      const std::size_t start = at - offset, end = start + needle.size();
      if (!util::iequals(text.substr(start, needle.size()), needle)) continue;
      if ((start == 0 || !continues_before(text[start - 1])) && (end == text.size() || !name_char(text[end])))
        return true;
    }
  }
  return false;
}

// Share of `domains` (not empty) that are one of `own`.
float share_of(const std::vector<std::string>& domains, std::span<const std::string_view> own) {
  std::size_t aligned = 0;
  for (const auto& d : domains)
    if (std::find(own.begin(), own.end(), std::string_view(d)) != own.end()) ++aligned;
  return static_cast<float>(aligned) / static_cast<float>(domains.size());
}

}  // namespace

void add_alignment_features(const mime::message& msg, const sender_context& sc, const std::vector<std::string>& url_domains,
                            vector_builder& b) {
  const bool from_known = !sc.from_registrable.empty() && !is_ip_literal(sc.from_registrable);
  b.set(dense::al_from_freemail, from_known && is_freemail_registrable(sc.from_registrable));
  // The sender's own domains, From's first.
  std::array<std::string_view, 3> own;
  std::size_t owned = 0;
  for (const std::string* d : {&sc.from_registrable, &sc.return_path_registrable, &sc.msgid_registrable})
    if (!d->empty() && !is_ip_literal(*d)) own[owned++] = *d;
  if (!url_domains.empty() && from_known)
    b.set(dense::al_url_from_domain_share, share_of(url_domains, std::span(own.data(), 1)));
  if (!url_domains.empty() && owned != 0)
    b.set(dense::al_url_sender_domain_share, share_of(url_domains, std::span(own.data(), owned)));
  if (from_known) b.set(dense::al_from_domain_in_text, named_in_text(msg, sc.from_registrable, '.', name_char));
  // Recipients are looked for, never recorded: the column says only whether one was found.
  if (!sc.recipients.empty())
    b.set(dense::al_recipient_in_text, std::any_of(sc.recipients.begin(), sc.recipients.end(), [&](const std::string& r) {
            return named_in_text(msg, r, '@', address_char);
          }));
}

}  // namespace mailtriage::features::detail

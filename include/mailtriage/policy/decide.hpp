#pragma once
// Turns a verdict into what happens to the mail. Pure and thread-safe: the same
// verdict, facts and policy give the same replies.
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/milter/messages.hpp"
#include "mailtriage/milter/transaction.hpp"
#include "mailtriage/policy/rules.hpp"
#include "mailtriage/policy/verdict.hpp"

namespace mailtriage::policy {

struct inbound_header {  // a header as the message arrived, for anti-forgery and Subject edits
  std::string_view name;    // borrowed (from the milter transaction): valid for the decide() call
  std::uint32_t index = 1;  // among headers of that name
  std::string value;        // raw value (only needed for Subject)
};

struct outcome {
  std::vector<milter::reply> modifications;
  milter::reply final_reply = milter::accept{};
  std::vector<std::string> applied_rules;  // names, in order
  std::vector<std::string> shadow_rules;   // matched in shadow mode: logged, not applied
};

// `hmac_key` empty: no signature. Inbound headers starting with the configured prefix
// are deleted first (highest index first, so earlier indexes stay valid), then ours
// are added, so a sender cannot forge a verdict.
[[nodiscard]] outcome decide(const policy_config& policy, const verdict& v, const message_facts& facts,
                             const std::vector<inbound_header>& inbound, const std::string& hmac_key);

// Deletions of every inbound header whose name starts with `prefix` (case-insensitive),
// highest index first so earlier indexes stay valid. Used by decide() and by the
// fallback path, so a forged verdict never survives, judged or not.
[[nodiscard]] std::vector<milter::reply> remove_forged(const std::string& prefix,
                                                       const std::vector<inbound_header>& inbound);

// "category=spam; score=0.973; model=abc; queue=QID[; sig=HEX]": the verdict header.
// The signature is HMAC-SHA256 over "queue|category|score" with the key.
[[nodiscard]] std::string verdict_header_value(const verdict& v, const std::string& queue_id,
                                               const std::string& hmac_key);
// Checks a verdict header value against a key (mailtriage verify-header).
[[nodiscard]] bool verify_verdict_header(const std::string& value, const std::string& hmac_key);

// "0.973": a score as every header, template and log line writes it, the bytes of
// printf's "%.3f" (the weights in format_reasons are its "%+.2f").
[[nodiscard]] std::string format_score(float score);

// "link_text_domain_mismatch +2.10, subject:verify account +1.40"
[[nodiscard]] std::string format_reasons(const std::vector<reason>& reasons, std::size_t max);

// True when `domain` equals `pattern` or is a sub-domain of it (case-insensitive).
[[nodiscard]] bool domain_matches(std::string_view domain, std::string_view pattern);

}  // namespace mailtriage::policy

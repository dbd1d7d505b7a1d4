#pragma once
// The policy as data: ordered rules, each a condition on the verdict and the envelope
// and a list of actions. Built by the configuration loader (with file:line errors),
// evaluated by policy::decide(). Plain values, immutable once loaded.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mailtriage::policy {

struct match {
  std::vector<std::string> categories;        // any of these top categories (empty = any)
  std::vector<std::string> flagged;           // any of these labels above its threshold
  std::optional<float> min_score;             // top probability at least
  std::optional<float> max_score;
  std::vector<std::string> pii;               // any of payment_card, iban, us_ssn; "any" = any
  std::vector<std::string> sender_domains;    // envelope sender's domain (or a parent domain)
  std::vector<std::string> recipient_domains; // any envelope recipient's domain
  std::optional<std::size_t> min_size;
  std::optional<std::size_t> max_size;
  std::optional<bool> authenticated;
};

struct action {
  enum class kind {
    add_header,      // name, value (values may use {category} {score} {rule} {queue_id})
    subject_prefix,  // value
    add_recipient,   // value = address
    remove_recipients,  // every envelope recipient (route away from them)
    quarantine,      // value = reason
    reject,          // value = "550 5.7.1 text"
    tempfail,        // value = "451 4.7.1 text"
    discard,
    accept,
  };
  kind type = kind::accept;
  std::string name;
  std::string value;
  [[nodiscard]] bool terminal() const {
    return type == kind::reject || type == kind::tempfail || type == kind::discard || type == kind::accept;
  }
};

struct rule {
  std::string name;
  match when;
  std::vector<action> actions;
  bool shadow = false;  // evaluated and logged, never applied
  bool stop = false;    // no later rule is evaluated after this one matches
  std::string source;   // "file:line" for logs and errors
};

struct header_names {
  std::string prefix = "X-Triage-";  // inbound headers with this prefix are removed
  std::string category = "X-Triage-Category";
  std::string score = "X-Triage-Score";
  std::string reasons = "X-Triage-Reasons";
  std::string verdict = "X-Triage-Verdict";  // machine-readable summary, HMAC-signed when keyed
  std::string status = "X-Triage-Status";
  std::size_t max_reasons = 5;
};

struct policy_config {
  header_names headers;
  std::vector<rule> rules;
  std::string hmac_key_file;  // empty: the verdict header is not signed
};

}  // namespace mailtriage::policy

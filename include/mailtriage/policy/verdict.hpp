#pragma once
// What the model said about one message, in the terms the policy and the headers use.
// A plain value.
#include <string>
#include <utility>
#include <vector>

namespace mailtriage::policy {

struct reason {
  std::string feature;  // e.g. "link_text_domain_mismatch", "subject:verify account"
  float weight = 0;     // contribution to the category's margin (log-odds)
};

struct pii_summary {
  bool payment_card = false;
  bool iban = false;
  bool us_ssn = false;
  [[nodiscard]] bool any() const { return payment_card || iban || us_ssn; }
};

struct verdict {
  std::string category;  // the label with the highest probability...
  float score = 0;       // ...and that probability
  std::vector<std::pair<std::string, float>> probabilities;  // every label, model order
  std::vector<std::string> flagged;  // labels at or above their manifest threshold
  std::vector<reason> reasons;       // strongest contributions to `category`, strongest first
  pii_summary pii;
  std::string model_id;  // which model decided (first 12 hex of its hash)

  [[nodiscard]] float probability(const std::string& label) const {
    for (const auto& [l, p] : probabilities)
      if (l == label) return p;
    return 0;
  }
};

// The envelope facts rules may match on (addresses are the MTA's, lower-cased).
struct message_facts {
  std::string queue_id;
  std::string sender;                   // envelope sender address, without <>
  std::vector<std::string> recipients;  // envelope recipients, without <>
  std::size_t size = 0;                 // bytes the MTA sent
  bool authenticated = false;           // SMTP AUTH submission
};

}  // namespace mailtriage::policy

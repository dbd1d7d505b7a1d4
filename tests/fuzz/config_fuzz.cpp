// Fuzz target: the configuration loader. Any YAML text either loads or fails with
// config::config_error (file:line:col and what is wrong); any other exception, or a
// crash, is a bug. A configuration that loads is then used: its policy decides on a
// few fixed verdicts, as the daemon would at end of message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "mailtriage/config/config.hpp"
#include "mailtriage/policy/decide.hpp"

namespace {

using namespace mailtriage;

void use_policy(const policy::policy_config& p) {
  policy::verdict v;
  v.category = "spam";
  v.score = 0.97f;
  v.probabilities = {{"ham", 0.03f}, {"spam", 0.97f}};
  v.flagged = {"spam"};
  v.reasons = {{"subject:verify account", 1.4f}, {"link_text_domain_mismatch", 2.1f}};
  v.pii.payment_card = true;
  v.model_id = "0123456789ab";
  policy::message_facts facts{.queue_id = "4XyZ1", .sender = "a@mail.example.com",
                              .recipients = {"b@example.org", "c@sub.example.net"}, .size = 5000,
                              .authenticated = true};
  std::vector<policy::inbound_header> inbound = {
      {"Subject", 1, "hello"}, {"x-triage-score", 1, "0.0"}, {"X-TRIAGE-Category", 1, "ham"}};
  for (float score : {0.97f, 0.2f}) {
    v.score = score;
    auto out = policy::decide(p, v, facts, inbound, score > 0.5f ? "0123456789abcdef" : "");
    (void)out;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  config::daemon_config cfg;
  try {
    cfg = config::load_text(yaml, "fuzz.yaml");
  } catch (const config::config_error& e) {
    // The one documented failure; its message must say where (the source name).
    if (std::string_view(e.what()).find("fuzz.yaml") == std::string_view::npos) std::abort();
    return 0;
  }
  // Anything else escaping load_text terminates here and libFuzzer reports it.
  use_policy(cfg.policy);
  return 0;
}

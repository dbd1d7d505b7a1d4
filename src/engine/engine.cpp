#include "mailtriage/engine/engine.hpp"

#include <chrono>

#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/milter_envelope.hpp"
#include "mailtriage/mime/parse.hpp"
#include "mailtriage/policy/decide.hpp"
#include "mailtriage/util/log.hpp"

namespace mailtriage::engine {
namespace {

std::string strip_brackets(std::string_view a) {
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  return std::string(a);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

bool is_subject(std::string_view name) {
  static constexpr std::string_view subject = "subject";
  if (name.size() != subject.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if ((name[i] | 0x20) != subject[i]) return false;
  return true;
}

const char* final_name(const milter::reply& r) { return milter::outcome_name(r); }

using clock_type = std::chrono::steady_clock;

// Stage timer: each lap() records the time since the previous one.
class stage_clock {
 public:
  explicit stage_clock(const engine_metrics* m) : metrics_(m), start_(clock_type::now()), last_(start_) {}
  void lap(stage s) {
    if (!metrics_) return;
    auto now = clock_type::now();
    metrics_->observe(s, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  void total() {
    if (metrics_) metrics_->observe(stage::verdict, std::chrono::duration<double>(clock_type::now() - start_).count());
  }

 private:
  const engine_metrics* metrics_;
  clock_type::time_point start_, last_;
};

// Pseudonyms of the first few recipients: enough to follow a message in the logs,
// bounded whatever the recipient count (which is logged beside it).
constexpr std::size_t kLoggedRecipients = 5;
std::string recipient_pseudonyms(const std::vector<std::string>& recipients) {
  std::string out;
  for (std::size_t i = 0; i < recipients.size() && i < kLoggedRecipients; ++i)
    out += (out.empty() ? "" : ",") + log::pseudonym(recipients[i]);
  return out.empty() ? "-" : out;
}

}  // namespace

engine::engine(std::shared_ptr<const scorer> active, std::shared_ptr<const scorer> shadow,
               policy::policy_config policy, std::string hmac_key, std::shared_ptr<const engine_metrics> metrics)
    : active_(std::move(active)), shadow_(std::move(shadow)), policy_(std::move(policy)), hmac_key_(std::move(hmac_key)),
      metrics_(std::move(metrics)) {}

milter::decision engine::judge(const milter::transaction& t) const {
  stage_clock clock(metrics_.get());
  const auto env = features::envelope_from_transaction(t);
  mime::message msg = mime::parse(t.raw, active_->limits());
  clock.lap(stage::mime_parse);
  features::token_names names;
  features::extraction ex = active_->extract(msg, env, names);
  clock.lap(stage::features);
  policy::verdict v = active_->judge(msg, ex, false, &names);
  clock.lap(stage::model);

  std::string shadow_category = "-";
  if (shadow_) {
    // Same bytes, same features: only the model differs (a shadow model for another
    // schema was refused at load).
    policy::verdict sv = shadow_->judge(msg, ex, false);
    clock.lap(stage::shadow_model);
    if (metrics_) metrics_->count_shadow(v.category, sv.category);
    shadow_category = sv.category;
  }

  policy::message_facts facts;
  facts.queue_id = std::string(t.queue_id());
  if (!t.sender.empty()) facts.sender = strip_brackets(t.sender.front());
  for (const auto& r : t.recipients)
    if (!r.empty()) facts.recipients.push_back(strip_brackets(r.front()));
  facts.size = t.message_bytes;
  facts.authenticated = env.authenticated;

  std::vector<policy::inbound_header> inbound;
  inbound.reserve(t.headers.size());
  const mime::header_field* subject = msg.header("Subject");
  for (const auto& h : t.headers) {
    policy::inbound_header ih{h.name, h.index, {}};
    if (subject && h.index == 1 && is_subject(h.name)) {
      // The Subject the MTA holds is the raw (undecoded) value: prefixing keeps its
      // encoding. Unfolded as RFC 5322 says: only the line breaks go.
      std::string_view raw = subject->raw_value();
      while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
      // Every byte stored, the output advancing past all but CR and LF: no append per byte.
      ih.value.resize(raw.size());
      char* out = ih.value.data();
      for (char c : raw) {
        *out = c;
        out += (c != '\r' && c != '\n');
      }
      ih.value.resize(static_cast<std::size_t>(out - ih.value.data()));
    }
    inbound.push_back(std::move(ih));
  }

  policy::outcome o = policy::decide(policy_, v, facts, inbound, hmac_key_);
  clock.lap(stage::policy);
  const char* action = final_name(o.final_reply);
  if (metrics_) {
    metrics_->count_verdict(v.category, action);
    metrics_->count_defects(msg.defects);
  }
  if (log::enabled(log::level::info)) {
    const std::string score = policy::format_score(v.score);
    // One line per message: identifiers and the decision; addresses only as keyed
    // pseudonyms, the subject only when the operator opted in (logging.log_subjects).
    log::info("verdict", {{"session", t.session},
                          {"queue_id", facts.queue_id},
                          {"sender", log::pseudonym(facts.sender)},
                          {"rcpts", recipient_pseudonyms(facts.recipients)},
                          {"rcpt_count", facts.recipients.size()},
                          {"category", v.category},
                          {"score", score},
                          {"model", v.model_id},
                          {"rules", join(o.applied_rules)},
                          {"shadow_rules", join(o.shadow_rules)},
                          {"shadow_model", shadow_category},
                          {"action", action},
                          {"pii", v.pii.any() ? "yes" : "no"},
                          {"defects", msg.defects.empty() ? std::string("-") : msg.defects.to_string()},
                          {"subject", log::privacy().log_subjects && subject ? std::string(subject->value()) : std::string("-")}});
  }
  milter::decision d;
  d.modifications = std::move(o.modifications);
  d.final_reply = std::move(o.final_reply);
  clock.total();
  return d;
}

}  // namespace mailtriage::engine

#include "fallback.hpp"

#include "mailtriage/policy/decide.hpp"

namespace mailtriage::daemon {

milter::decision fallback_decision(config::failure_action action, const policy::header_names& headers,
                                   milter::fallback_reason reason, const std::vector<milter::header_ref>& inbound) {
  // Logged by the server, which knows the session and queue id.
  const char* why = milter::describe(reason);
  milter::decision d;
  std::vector<policy::inbound_header> refs;
  refs.reserve(inbound.size());
  for (const auto& h : inbound) refs.push_back(policy::inbound_header{h.name, h.index, {}});
  d.modifications = policy::remove_forged(headers.prefix, refs);
  switch (action) {
    case config::failure_action::accept:
      // Downstream rules can see that this message was not judged, and why.
      d.modifications.push_back(milter::add_header{headers.status, std::string("skipped; reason=") + why});
      d.final_reply = milter::accept{};
      break;
    case config::failure_action::tempfail:
      d.final_reply = milter::reply_code{"451 4.7.1 Message could not be scanned, please try again later"};
      break;
    case config::failure_action::reject:
      d.final_reply = milter::reply_code{"550 5.7.1 Message could not be scanned"};
      break;
  }
  return d;
}

milter::fallback_fn fallback_for(const config::daemon_config& cfg) {
  return [action = cfg.milter.on_failure, headers = cfg.policy.headers](milter::fallback_reason r,
                                                                        const std::vector<milter::header_ref>& inbound) {
    return fallback_decision(action, headers, r, inbound);
  };
}

}  // namespace mailtriage::daemon

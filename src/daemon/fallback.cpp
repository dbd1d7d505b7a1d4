#include "fallback.hpp"

#include "mailtriage/util/log.hpp"
#include "status_header.hpp"

namespace mailtriage::daemon {

milter::decision fallback_decision(config::failure_action action, milter::fallback_reason reason) {
  const char* why = milter::describe(reason);
  log::warning("fallback_action", {{"reason", why},
                                   {"action", action == config::failure_action::accept     ? "accept"
                                              : action == config::failure_action::tempfail ? "tempfail"
                                                                                          : "reject"}});
  milter::decision d;
  switch (action) {
    case config::failure_action::accept:
      // Downstream rules can see that this message was not judged, and why.
      d.modifications.push_back(milter::add_header{std::string(kStatusHeader), std::string("skipped; reason=") + why});
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

}  // namespace mailtriage::daemon

#pragma once
// The decision for a message that could not be judged, from the configured
// on_failure action and the reason. Never throws.
#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/policy/rules.hpp"

namespace mailtriage::daemon {

// Inbound headers with the policy's prefix are removed whatever the action; on accept,
// the status header (X-Triage-Status by default) says "skipped; reason=...".
[[nodiscard]] milter::decision fallback_decision(config::failure_action action, const policy::header_names& headers,
                                                 milter::fallback_reason reason,
                                                 const std::vector<milter::header_ref>& inbound);

// The server's fallback for a configuration: milter.on_failure with policy.headers. It
// travels with the engine built from the same configuration (server::set_handler), so
// a reload changes both at once.
[[nodiscard]] milter::fallback_fn fallback_for(const config::daemon_config& cfg);

}  // namespace mailtriage::daemon

#pragma once
// The decision for a message that could not be judged, from the configured
// on_failure action and the reason. Never throws.
#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/server.hpp"

namespace mailtriage::daemon {

[[nodiscard]] milter::decision fallback_decision(config::failure_action action, milter::fallback_reason reason);

}  // namespace mailtriage::daemon

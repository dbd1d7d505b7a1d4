#pragma once
// The daemon's metrics beyond the engine's: the milter server's statistics (read from
// its own atomics at scrape time, not copied), build and process facts, readiness.
// Other daemon parts (e.g. a reloader) register their own counters in the same registry.
#include <functional>

#include "mailtriage/milter/server.hpp"
#include "mailtriage/observability/http_endpoint.hpp"
#include "mailtriage/observability/metrics.hpp"

namespace mailtriage::daemon {

// `srv` and `ready` must outlive every render() of `r`.
void register_server_metrics(observability::registry& r, const milter::server& srv);
void register_process_metrics(observability::registry& r, const std::function<observability::readiness()>& ready);

}  // namespace mailtriage::daemon

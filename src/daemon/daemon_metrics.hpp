#pragma once
// The daemon's metrics beyond the engine's: the milter server's and the reloader's
// statistics (read from their own atomics at scrape time, not copied), build and
// process facts, readiness.
#include <functional>

#include "mailtriage/milter/server.hpp"
#include "mailtriage/observability/http_endpoint.hpp"
#include "mailtriage/observability/metrics.hpp"

namespace mailtriage::daemon {

struct reload_stats;

// `srv`, `stats` and `ready` must outlive every render() of `r`.
void register_server_metrics(observability::registry& r, const milter::server& srv);
void register_reload_metrics(observability::registry& r, const reload_stats& stats);
void register_process_metrics(observability::registry& r, const std::function<observability::readiness()>& ready);

}  // namespace mailtriage::daemon

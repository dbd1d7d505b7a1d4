#pragma once
// The milter server's options from the daemon configuration: socket, limits, timeouts,
// the macros requested per stage and the fallback decision. One place, used by
// mailtriaged and by the tests that run the daemon's server in-process.
#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/server.hpp"

namespace mailtriage::daemon {

[[nodiscard]] milter::server_options to_server_options(const config::daemon_config& cfg);

}  // namespace mailtriage::daemon

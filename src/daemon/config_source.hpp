#pragma once
// Where the daemon's configuration comes from: the --config file (or the built-in
// configuration) with the command line's overrides applied. Read at start-up and again
// on every reload. Immutable; load() may run on any thread.
#include <optional>
#include <string>

#include "mailtriage/config/config.hpp"

namespace mailtriage::daemon {

struct config_source {
  std::optional<std::string> file;
  std::optional<std::string> listen;       // --listen
  std::optional<std::string> http_listen;  // --http-listen
  std::optional<std::string> log_level;    // --log-level

  // Throws config_error naming the file, line and key.
  [[nodiscard]] config::daemon_config load() const;
};

}  // namespace mailtriage::daemon

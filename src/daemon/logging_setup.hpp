#pragma once
// Applies the logging section: level, format, privacy switches and the pseudonym key.
// prepare() reads the key file and may throw (a reload with an unreadable key is
// refused before anything changes); apply() cannot fail.
#include <optional>
#include <string>

#include "mailtriage/config/config.hpp"

namespace mailtriage::daemon {

struct logging_plan {
  config::logging_settings settings;
  std::optional<std::string> key;  // from pseudonym_key_file; none: keep the current key
};

// Throws std::runtime_error naming the key file when it cannot be read or is short.
[[nodiscard]] logging_plan prepare_logging(const config::logging_settings& settings);
void apply_logging(const logging_plan& plan);

}  // namespace mailtriage::daemon

#include "logging_setup.hpp"

#include "mailtriage/util/log.hpp"
#include "mailtriage/util/secret_file.hpp"

namespace mailtriage::daemon {

logging_plan prepare_logging(const config::logging_settings& settings) {
  logging_plan plan{settings, std::nullopt};
  const std::string& path = settings.pseudonym_key_file;
  if (path.empty()) return plan;
  plan.key = read_secret_file(path, "pseudonym key");
  return plan;
}

void apply_logging(const logging_plan& plan) {
  log::set_level(plan.settings.level);
  log::set_format(plan.settings.format);
  log::set_privacy({plan.settings.log_domains, plan.settings.log_subjects});
  // Without a key file the process keeps the random key it drew at first use, so
  // pseudonyms stay stable until the next restart.
  if (plan.key) log::set_pseudonym_key(*plan.key);
}

}  // namespace mailtriage::daemon

#include "logging_setup.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mailtriage/util/log.hpp"

namespace mailtriage::daemon {

logging_plan prepare_logging(const config::logging_settings& settings) {
  logging_plan plan{settings, std::nullopt};
  const std::string& path = settings.pseudonym_key_file;
  if (path.empty()) return plan;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read the pseudonym key file");
  std::ostringstream s;
  s << in.rdbuf();
  std::string key = s.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < 16) throw std::runtime_error(path + ": pseudonym key shorter than 16 bytes");
  plan.key = std::move(key);
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

#include "config_source.hpp"

#include "mailtriage/milter/socket_spec.hpp"
#include "mailtriage/util/log.hpp"

namespace mailtriage::daemon {

config::daemon_config config_source::load() const {
  config::daemon_config cfg =
      file ? config::load_file(*file) : config::load_text(config::builtin_yaml(), "<built-in>");
  if (listen) {
    auto spec = milter::parse_socket_spec(*listen);
    if (!spec) throw config::config_error("--listen: " + spec.error());
    cfg.milter.listen = spec.value();
  }
  if (http_listen) {
    try {
      cfg.http.set_listen(*http_listen);
    } catch (const std::invalid_argument& e) {
      throw config::config_error(std::string("--http-listen: ") + e.what());
    }
  }
  if (log_level) cfg.logging.level = log::parse_level(*log_level);
  return cfg;
}

}  // namespace mailtriage::daemon

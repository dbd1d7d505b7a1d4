// mailtriaged: the milter daemon. Parses options, loads the configuration, serves
// until SIGTERM/SIGINT, then drains. See mailtriaged(8).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "privileges.hpp"
#include "server_options.hpp"
#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/protocol.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/util/log.hpp"
#include "mailtriage/engine/load.hpp"
#include "systemd_notify.hpp"

namespace asio = boost::asio;
using namespace mailtriage;

namespace {

constexpr const char* kUsage =
    "usage: mailtriaged [--config FILE] [--listen SPEC] [--log-level LEVEL] [--check-config]\n"
    "\n"
    "  -c, --config FILE   configuration file (default: the built-in configuration)\n"
    "  -l, --listen SPEC   override milter.listen, e.g. inet:8895@127.0.0.1 or unix:/run/mailtriage/sock\n"
    "      --log-level L   override logging.level (debug, info, warning, error)\n"
    "      --check-config  validate the configuration and exit\n"
    "      --print-default-config  print the built-in configuration and exit\n"
    "  -V, --version       print the version and exit\n";

struct options {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;
  std::optional<std::string> log_level;
  bool check_only = false;
};

std::optional<options> parse_args(int argc, char** argv, int& exit_code) {
  options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(std::string(name) + " needs a value");
      return args[++i];
    };
    if (a == "-c" || a == "--config") o.config_file = value("--config");
    else if (a == "-l" || a == "--listen") o.listen = value("--listen");
    else if (a == "--log-level") o.log_level = value("--log-level");
    else if (a == "--check-config") o.check_only = true;
    else if (a == "--print-default-config") {
      std::cout << config::builtin_yaml();
      exit_code = 0;
      return std::nullopt;
    } else if (a == "-V" || a == "--version") {
      std::cout << "mailtriaged " MAILTRIAGE_VERSION "\n";
      exit_code = 0;
      return std::nullopt;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      exit_code = 0;
      return std::nullopt;
    } else {
      throw std::invalid_argument("unknown option '" + a + "'");
    }
  }
  return o;
}

// Reads the configuration the daemon was started with again (SIGHUP).
struct config_source {
  std::optional<std::string> file;
  std::optional<std::string> listen;
  std::optional<std::string> log_level;

  config::daemon_config load() const {
    config::daemon_config cfg =
        file ? config::load_file(*file) : config::load_text(config::builtin_yaml(), "<built-in>");
    if (listen) {
      auto spec = milter::parse_socket_spec(*listen);
      if (!spec) throw config::config_error("--listen: " + spec.error());
      cfg.milter.listen = spec.value();
    }
    if (log_level) cfg.log_level = log::parse_level(*log_level);
    return cfg;
  }
};

void log_engine(const char* event, const config::daemon_config& cfg, const engine::engine& e) {
  const auto& info = e.active().model().info;
  std::string labels;
  for (const auto& l : info.labels) labels += (labels.empty() ? "" : ",") + l;
  log::info(event, {{"config", cfg.source},
                    {"model", e.active().model().id},
                    {"model_path", cfg.model.path.empty() ? std::string("<built-in>") : cfg.model.path},
                    {"labels", labels},
                    {"rules", e.policy().rules.size()}});
}

int serve(const config_source& source, config::daemon_config cfg) {
  const daemon::run_identity identity = daemon::resolve_identity(cfg.milter);
  auto first_engine = engine::build_engine(cfg);
  log_engine("engine_loaded", cfg, *first_engine);
  asio::io_context io(static_cast<int>(cfg.milter.io_threads));
  milter::server_options server_opts = daemon::to_server_options(cfg);
  daemon::apply_socket_owner(identity, server_opts);
  milter::server srv(io, server_opts, first_engine);
  srv.start();
  // Bound (a unix socket already given to milter.user): no root beyond this point.
  daemon::drop_privileges(identity);
  log::info("listening", {{"socket", cfg.milter.listen.to_string()},
                          {"config", cfg.source},
                          {"workers", daemon::to_server_options(cfg).worker_threads},
                          {"version", MAILTRIAGE_VERSION}});
  daemon::notify_ready("serving on " + cfg.milter.listen.to_string());

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  asio::signal_set hup(io, SIGHUP);
  asio::steady_timer drain_deadline(io);
  stop_signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    log::info("draining", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"},
                           {"active_connections", srv.stats().connections_active.load()}});
    hup.cancel();
    daemon::notify_stopping("draining");
    srv.drain([&] {
      drain_deadline.cancel();
      io.stop();
    });
    drain_deadline.expires_after(cfg.milter.drain_timeout);
    drain_deadline.async_wait([&](boost::system::error_code e) {
      if (e) return;
      log::warning("drain_deadline", {{"closing_connections", srv.stats().connections_active.load()}});
      srv.close_all();
      io.stop();
    });
  });
  // SIGHUP: build a new engine (configuration, model, policy) and swap it in. Messages
  // in flight finish on the engine they started with; a bad configuration or model is
  // refused with one log line and the running engine keeps serving.
  std::function<void(boost::system::error_code, int)> on_hup = [&](boost::system::error_code ec, int) {
    if (ec) return;
    daemon::notify_reloading();
    try {
      config::daemon_config next = source.load();
      auto e = engine::build_engine(next);
      if (next.milter.listen.to_string() != cfg.milter.listen.to_string())
        log::warning("reload_partial", {{"detail", "milter.* settings apply after a restart"}});
      log::set_level(next.log_level);
      srv.set_handler(e);
      log_engine("reloaded", next, *e);
    } catch (const std::exception& ex) {
      log::error("reload_refused", {{"error", ex.what()}});
    }
    daemon::notify_ready("serving on " + cfg.milter.listen.to_string());
    hup.async_wait(on_hup);
  };
  hup.async_wait(on_hup);

  std::vector<std::thread> extra;
  for (std::size_t i = 1; i < cfg.milter.io_threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  const auto& s = srv.stats();
  log::info("stopped", {{"messages", s.messages.load()},
                        {"connections", s.connections_accepted.load()},
                        {"protocol_errors", s.protocol_errors.load()}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a vanished MTA must surface as a write error
  try {
    int exit_code = 0;
    auto opts = parse_args(argc, argv, exit_code);
    if (!opts) return exit_code;
    config_source source{opts->config_file, opts->listen, opts->log_level};
    config::daemon_config cfg = source.load();
    log::set_level(cfg.log_level);
    if (opts->check_only) {
      (void)daemon::resolve_identity(cfg.milter);  // milter.user and socket_group must exist
      auto e = engine::build_engine(cfg);          // the model and policy must load too
      std::cout << cfg.source << ": configuration OK (model " << e->active().model().id << ", "
                << e->policy().rules.size() << " rules)\n";
      return 0;
    }
    return serve(source, std::move(cfg));
  } catch (const config::config_error& e) {
    std::cerr << "mailtriaged: " << e.what() << "\n";
    return 78;  // EX_CONFIG
  } catch (const std::invalid_argument& e) {
    std::cerr << "mailtriaged: " << e.what() << "\n" << kUsage;
    return 64;  // EX_USAGE
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
}

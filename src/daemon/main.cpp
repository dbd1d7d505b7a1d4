// mailtriaged: the milter daemon. Parses options, loads the configuration, serves
// until SIGTERM/SIGINT, then drains. See mailtriaged(8).
#include <atomic>
#include <chrono>
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

#include "config_source.hpp"
#include "cpu_budget.hpp"
#include "daemon_metrics.hpp"
#include "logging_setup.hpp"
#include "privileges.hpp"
#include "fd_limit.hpp"
#include "reloader.hpp"
#include "server_options.hpp"
#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/protocol.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/model/booster.hpp"
#include "mailtriage/util/log.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/observability/http_endpoint.hpp"
#include "mailtriage/observability/metrics.hpp"
#include "systemd_notify.hpp"

namespace asio = boost::asio;
using namespace mailtriage;

namespace {

constexpr const char* kUsage =
    "usage: mailtriaged [--config FILE] [--listen SPEC] [--log-level LEVEL] [--check-config]\n"
    "\n"
    "  -c, --config FILE   configuration file (default: the built-in configuration)\n"
    "  -l, --listen SPEC   override milter.listen, e.g. inet:8895@127.0.0.1 or unix:/run/mailtriage/sock\n"
    "      --http-listen A override http.listen (ADDRESS:PORT, port 0 for any free one) or none\n"
    "      --log-level L   override logging.level (debug, info, warning, error)\n"
    "      --check-config  validate the configuration and exit\n"
    "      --print-default-config  print the built-in configuration and exit\n"
    "  -V, --version       print the version and exit\n";

struct options {
  std::optional<std::string> config_file;
  std::optional<std::string> listen;
  std::optional<std::string> http_listen;
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
    else if (a == "--http-listen") o.http_listen = value("--http-listen");
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

int serve(const daemon::config_source& source, config::daemon_config cfg) {
  const daemon::run_identity identity = daemon::resolve_identity(cfg.milter);
  daemon::raise_fd_limit(cfg.milter.max_connections);
  // Declared first: every engine, the server, the reloader and the HTTP endpoint refer to it.
  observability::registry metrics;
  auto engine_metrics = std::make_shared<const engine::engine_metrics>(metrics);
  auto build_start = std::chrono::steady_clock::now();
  auto first_engine = engine::build_engine(cfg, engine_metrics);
  daemon::log_engine("engine_loaded", cfg, *first_engine, "start",
                     std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - build_start));
  asio::io_context io(static_cast<int>(cfg.milter.io_threads));
  milter::server_options server_opts = daemon::to_server_options(cfg);
  daemon::apply_socket_owner(identity, server_opts);
  milter::server srv(io, server_opts, first_engine);
  srv.start();

  // Ready: an engine (model) is loaded, which is the case from here on, and no drain
  // has begun. Load balancers and orchestrators stop sending new sessions on 503.
  std::atomic<bool> draining{false};
  const std::function<observability::readiness()> readiness = [&draining] {
    if (draining.load()) return observability::readiness{false, "draining"};
    return observability::readiness{true, ""};
  };
  // SIGHUP and (reload.watch) file changes: a new engine snapshot, built off the I/O
  // threads and swapped in; see reloader.hpp. Armed once the daemon is ready.
  daemon::reloader reload(io, source, cfg, srv, engine_metrics);
  daemon::register_server_metrics(metrics, srv);
  daemon::register_reload_metrics(metrics, reload.stats());
  daemon::register_process_metrics(metrics, readiness);
  engine_metrics->describe_models(*first_engine);
  std::optional<observability::http_endpoint> http;
  if (cfg.http.enabled) {
    observability::http_options ho;
    ho.address = cfg.http.address;
    ho.port = cfg.http.port;
    ho.max_connections = cfg.http.max_connections;
    ho.request_timeout = cfg.http.request_timeout;
    http.emplace(io, ho, metrics, readiness);
    http->start();
    std::string where = cfg.http.address.find(':') != std::string::npos ? "[" + cfg.http.address + "]"
                                                                         : cfg.http.address;
    log::info("http_listening", {{"address", where + ":" + std::to_string(http->port())},
                                 {"paths", "/metrics /healthz /readyz"}});
  }
  // Bound (a unix socket already given to milter.user, the HTTP port open): no root
  // beyond this point.
  daemon::drop_privileges(identity);
  log::info("listening", {{"socket", cfg.milter.listen.to_string()},
                          {"config", cfg.source},
                          {"workers", daemon::to_server_options(cfg).worker_threads},
                          {"usable_cpus", static_cast<std::uint64_t>(daemon::usable_cpus())},
                          {"version", MAILTRIAGE_VERSION}});
  daemon::notify_ready("serving on " + cfg.milter.listen.to_string());

  reload.start();

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  asio::signal_set hup(io, SIGHUP);
  asio::steady_timer drain_deadline(io);
  stop_signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    draining.store(true);
    log::info("draining", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"},
                           {"active_connections", srv.stats().connections_active.load()}});
    hup.cancel();
    reload.stop();
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
  std::function<void(boost::system::error_code, int)> on_hup = [&](boost::system::error_code ec, int) {
    if (ec) return;
    reload.request("SIGHUP");
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
                        {"protocol_errors", s.protocol_errors.load()},
                        {"reloads", reload.stats().succeeded.load()},
                        {"reloads_refused", reload.stats().refused.load()}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a vanished MTA must surface as a write error
  // Until serve() installs its reload handler, a SIGHUP (an early `systemctl reload`,
  // logrotate) must not kill the daemon with the default action; the configuration
  // being loaded is the newest anyway.
  std::signal(SIGHUP, SIG_IGN);
  try {
    int exit_code = 0;
    auto opts = parse_args(argc, argv, exit_code);
    if (!opts) return exit_code;
    daemon::config_source source{opts->config_file, opts->listen, opts->http_listen, opts->log_level};
    config::daemon_config cfg = source.load();
    daemon::apply_logging(daemon::prepare_logging(cfg.logging));
    if (!opts->check_only && cfg.logging.pseudonym_key_file.empty())
      log::info("pseudonym_key", {{"source", "random"},
                                  {"detail", "no logging.pseudonym_key_file: address pseudonyms do not correlate "
                                             "across restarts"}});
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
  } catch (const model::model_error& e) {
    // A bundle that does not load or verify (tampered, unsigned, built for another
    // feature schema) is configuration too: restarting cannot fix it, and systemd's
    // RestartPreventExitStatus=78 stops a restart loop. Logged like other fatal errors
    // (event=fatal), which is what operators watch for.
    log::error("fatal", {{"error", e.what()}});
    return 78;  // EX_CONFIG
  } catch (const std::invalid_argument& e) {
    std::cerr << "mailtriaged: " << e.what() << "\n" << kUsage;
    return 64;  // EX_USAGE
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
}

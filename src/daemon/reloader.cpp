#include "reloader.hpp"

#include <boost/asio/post.hpp>

#include "fallback.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/util/log.hpp"
#include "systemd_notify.hpp"

namespace mailtriage::daemon {
namespace asio = boost::asio;

struct reloader::attempt {
  std::string trigger;
  std::optional<config::daemon_config> cfg;  // set when the configuration parsed
  std::shared_ptr<const engine::engine> engine;  // set when everything loaded
  std::optional<logging_plan> logging;           // set with engine
  std::string error;
  std::chrono::milliseconds took{0};
};

std::vector<std::string> restart_only_changes(const config::daemon_config& started,
                                              const config::daemon_config& next) {
  const config::milter_settings& a = started.milter;
  const config::milter_settings& b = next.milter;
  std::vector<std::string> out;
  auto check = [&](bool differs, const char* key) {
    if (differs) out.emplace_back(key);
  };
  check(a.listen.to_string() != b.listen.to_string(), "milter.listen");
  check(a.socket_mode != b.socket_mode, "milter.socket_mode");
  check(a.user != b.user, "milter.user");
  check(a.socket_group != b.socket_group, "milter.socket_group");
  check(a.max_connections != b.max_connections, "milter.max_connections");
  check(a.io_threads != b.io_threads, "milter.io_threads");
  check(a.worker_threads != b.worker_threads, "milter.worker_threads");
  check(a.max_pending_verdicts != b.max_pending_verdicts, "milter.max_pending_verdicts");
  check(a.inline_verdict_bytes != b.inline_verdict_bytes, "milter.inline_verdict_bytes");
  check(a.skip_unscanned_body != b.skip_unscanned_body, "milter.skip_unscanned_body");
  check(a.idle_timeout != b.idle_timeout, "milter.timeouts.idle");
  check(a.frame_timeout != b.frame_timeout, "milter.timeouts.frame");
  check(a.write_timeout != b.write_timeout, "milter.timeouts.write");
  check(a.verdict_timeout != b.verdict_timeout, "milter.timeouts.verdict");
  check(a.drain_timeout != b.drain_timeout, "milter.timeouts.drain");
  check(a.scan_bytes != b.scan_bytes, "milter.limits.scan_bytes");
  check(a.max_headers != b.max_headers, "milter.limits.max_headers");
  check(a.max_macro_bytes != b.max_macro_bytes, "milter.limits.max_macro_bytes");
  check(a.max_envelope_bytes != b.max_envelope_bytes, "milter.limits.max_envelope_bytes");
  check(a.max_data_size != b.max_data_size, "milter.limits.max_data_size");
  // milter.on_failure is not here: it is swapped in with the engine.
  // The HTTP endpoint is bound once, at start.
  check(started.http.enabled != next.http.enabled, "http.enabled");
  check(started.http.listen() != next.http.listen(), "http.listen");
  check(started.http.max_connections != next.http.max_connections, "http.max_connections");
  check(started.http.request_timeout != next.http.request_timeout, "http.request_timeout");
  return out;
}

std::vector<watch_target> watch_targets(const config_source& source, const config::daemon_config& cfg) {
  std::vector<watch_target> out;
  if (source.file) out.push_back({*source.file, false});
  if (!cfg.model.path.empty()) out.push_back({cfg.model.path, true});
  if (!cfg.model.shadow_path.empty()) out.push_back({cfg.model.shadow_path, true});
  if (!cfg.model.public_key_file.empty()) out.push_back({cfg.model.public_key_file, false});
  if (!cfg.policy.hmac_key_file.empty()) out.push_back({cfg.policy.hmac_key_file, false});
  if (!cfg.logging.pseudonym_key_file.empty()) out.push_back({cfg.logging.pseudonym_key_file, false});
  return out;
}

void log_engine(const char* event, const config::daemon_config& cfg, const engine::engine& e,
                const std::string& trigger, std::chrono::milliseconds build_time) {
  const auto& info = e.active().model().info;
  std::string labels;
  for (const auto& l : info.labels) labels += (labels.empty() ? "" : ",") + l;
  log::info(event, {{"trigger", trigger},
                    {"config", cfg.source},
                    {"model", e.active().model().id},
                    {"model_path", cfg.model.path.empty() ? std::string("<built-in>") : cfg.model.path},
                    {"signed", cfg.model.public_key_file.empty() ? "no" : "yes"},
                    {"labels", labels},
                    {"rules", e.policy().rules.size()},
                    {"build_ms", build_time.count()}});
}

reloader::reloader(asio::io_context& io, config_source source, const config::daemon_config& running,
                   milter::server& srv, std::shared_ptr<const engine::engine_metrics> metrics)
    : strand_(asio::make_strand(io)), source_(std::move(source)), server_(srv), metrics_(std::move(metrics)),
      started_(running), running_(running) {}

reloader::~reloader() {
  stop();
  builder_.join();
}

void reloader::start() {
  asio::post(strand_, [this] { update_watcher(); });
}

void reloader::request(std::string trigger) {
  if (stopped_.load()) return;
  asio::post(strand_, [this, trigger = std::move(trigger)]() mutable {
    if (stopped_.load()) return;
    if (building_) {
      again_ = std::move(trigger);
      return;
    }
    begin(std::move(trigger));
  });
}

void reloader::stop() {
  if (stopped_.exchange(true)) return;
  // The watcher belongs to the strand; stop it there (or now, if the strand never runs again).
  asio::post(strand_, [this] {
    if (watcher_) watcher_->stop();
  });
}

void reloader::begin(std::string trigger) {
  building_ = true;
  notify_reloading();
  auto a = std::make_shared<attempt>();
  a->trigger = std::move(trigger);
  asio::post(builder_, [this, a] {
    auto start = std::chrono::steady_clock::now();
    try {
      a->cfg = source_.load();
      // The key file is read here too: a reload with an unreadable key is refused whole.
      auto logging = prepare_logging(a->cfg->logging);
      a->engine = engine::build_engine(*a->cfg, metrics_);
      a->logging = std::move(logging);
    } catch (const std::exception& e) {
      a->error = e.what();
    }
    a->took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    asio::post(strand_, [this, a] { finish(a); });
  });
}

void reloader::finish(std::shared_ptr<attempt> a) {
  building_ = false;
  if (stopped_.load()) return;
  if (a->engine) {
    const config::daemon_config& next = *a->cfg;
    server_.set_handler(a->engine, fallback_for(next));
    apply_logging(*a->logging);
    if (metrics_) metrics_->describe_models(*a->engine);
    running_ = next;
    attempted_.reset();
    stats_.succeeded.fetch_add(1, std::memory_order_relaxed);
    stats_.last_success_unix.store(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(),
        std::memory_order_relaxed);
    log_engine("reloaded", next, *a->engine, a->trigger, a->took);
    auto restart = restart_only_changes(started_, next);
    if (!restart.empty()) {
      std::string keys;
      for (const auto& k : restart) keys += (keys.empty() ? "" : ",") + k;
      log::warning("reload_partial", {{"restart_needed", keys}});
    }
  } else {
    stats_.refused.fetch_add(1, std::memory_order_relaxed);
    log::error("reload_refused", {{"trigger", a->trigger}, {"error", a->error}, {"serving", "previous"}});
    // A configuration that parsed but named a missing model: watch its paths too, so
    // the model's arrival is seen.
    attempted_ = std::move(a->cfg);
  }
  update_watcher();
  notify_ready("serving on " + started_.milter.listen.to_string());
  if (again_) {
    std::string trigger = std::move(*again_);
    again_.reset();
    begin(std::move(trigger));
  }
}

void reloader::update_watcher() {
  if (stopped_.load()) return;
  if (!running_.reload.watch) {
    if (watcher_) {
      watcher_->stop();
      watcher_.reset();
    }
    return;
  }
  auto targets = watch_targets(source_, running_);
  if (attempted_)
    for (auto& t : watch_targets(source_, *attempted_)) targets.push_back(std::move(t));
  if (targets.empty()) return;  // the built-in configuration and model: nothing on disk
  if (!watcher_) {
    try {
      watcher_ = std::make_unique<file_watcher>(strand_, [this](const std::string& changed) { request(changed); });
    } catch (const std::system_error& e) {
      log::error("watch_failed", {{"error", e.what()}, {"detail", "reload with SIGHUP"}});
      return;
    }
  }
  watcher_->watch(std::move(targets), running_.reload.debounce);
}

}  // namespace mailtriage::daemon

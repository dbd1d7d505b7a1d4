#pragma once
// Hot reload: SIGHUP, or a change of the configuration file, a model bundle, the HMAC key
// or the model public key (file_watcher, when reload.watch is on), builds a new engine
// snapshot and swaps it into the server atomically, with the on_failure decision of
// the same configuration. A message in flight finishes on the snapshot it loaded at
// end-of-message. A configuration or model that does not load is refused with one log
// line (reload_refused) and the running snapshot keeps serving.
//
// Building loads and verifies model files (tens of milliseconds, more for a big model),
// so it runs on the reloader's own thread, never on an I/O thread where it would stall
// every connection's milter traffic; the finished snapshot is posted back and swapped in
// on the reloader's strand. One build at a time: requests during a build coalesce into
// one more build afterwards, so the last change is always the one that ends up loaded.
//
// A successful reload also applies the logging section (level, format, privacy
// switches, pseudonym key) and updates mailtriage_model_info; the engine counts in the
// daemon's one engine_metrics, so counters survive reloads.
//
// Settings read once at start (the socket, threads, limits, timeouts: every milter.*
// key except on_failure; every http.* key) are reported with reload_partial when they
// differ, and apply after a restart.
//
// Thread-safety: request(), stop() and stats() may be called from any thread.
// Lifetime: must be destroyed before the io_context and the server, after io.run()
// has returned (the destructor joins the build thread).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs std::exchange

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config_source.hpp"
#include "file_watcher.hpp"
#include "mailtriage/config/config.hpp"
#include "logging_setup.hpp"
#include "mailtriage/engine/engine.hpp"
#include "mailtriage/engine/engine_metrics.hpp"
#include "mailtriage/milter/server.hpp"

namespace mailtriage::daemon {

// For metrics: plain atomics, read with relaxed loads from any thread.
struct reload_stats {
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> refused{0};
  // When the last successful reload was swapped in, seconds since the Unix epoch; 0 =
  // none since start.
  std::atomic<std::int64_t> last_success_unix{0};
};

class reloader {
 public:
  // `running`: the configuration the server was started with; `srv` gets each new
  // snapshot; every engine built counts in `metrics` (may be nullptr: nothing counted).
  reloader(boost::asio::io_context& io, config_source source, const config::daemon_config& running,
           milter::server& srv, std::shared_ptr<const engine::engine_metrics> metrics);
  ~reloader();
  reloader(const reloader&) = delete;
  reloader& operator=(const reloader&) = delete;

  // Arms the file watcher when the configuration asks for it.
  void start();
  // Reload soon; `trigger` says why, for the log line ("SIGHUP", a changed path).
  void request(std::string trigger);
  // No more reloads (on drain); a build under way is discarded.
  void stop();

  [[nodiscard]] const reload_stats& stats() const { return stats_; }

 private:
  struct attempt;  // one build's outcome
  void begin(std::string trigger);
  void finish(std::shared_ptr<attempt> a);
  void update_watcher();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::thread_pool builder_{1};
  const config_source source_;
  milter::server& server_;
  const std::shared_ptr<const engine::engine_metrics> metrics_;
  const config::daemon_config started_;  // what the server and HTTP endpoint were started with
  // Owned by the strand:
  config::daemon_config running_;  // the last configuration swapped in
  std::optional<config::daemon_config> attempted_;  // last refused one that parsed
  std::unique_ptr<file_watcher> watcher_;
  bool building_ = false;
  std::optional<std::string> again_;  // a request that arrived during a build
  std::atomic<bool> stopped_{false};
  reload_stats stats_;
};

// The milter.* and http.* settings that differ between what the daemon was started with
// and `next`, by their configuration key (milter.timeouts.idle, http.listen, ...): those
// apply after a restart.
[[nodiscard]] std::vector<std::string> restart_only_changes(const config::daemon_config& started,
                                                            const config::daemon_config& next);

// The files a configuration depends on: the configuration file itself, the model and
// shadow model bundles, the HMAC key, the model public key and the pseudonym key.
[[nodiscard]] std::vector<watch_target> watch_targets(const config_source& source, const config::daemon_config& cfg);

// One log line describing a snapshot (event "engine_loaded" or "reloaded"): what caused
// it, the configuration, the model and how long the build took.
void log_engine(const char* event, const config::daemon_config& cfg, const engine::engine& e,
                const std::string& trigger, std::chrono::milliseconds build_time);

}  // namespace mailtriage::daemon

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
// Settings read once at start (the socket, threads, limits, timeouts: every milter.*
// key except on_failure) are reported with reload_partial when they differ, and apply
// after a restart.
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
#include "mailtriage/engine/engine.hpp"
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
  // `running`: the configuration the server was started with; `srv` gets each new snapshot.
  reloader(boost::asio::io_context& io, config_source source, const config::daemon_config& running,
           milter::server& srv);
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
  // Owned by the strand:
  config::daemon_config running_;  // the last configuration swapped in
  const config::milter_settings started_;  // what the server was started with
  std::optional<config::daemon_config> attempted_;  // last refused one that parsed
  std::unique_ptr<file_watcher> watcher_;
  bool building_ = false;
  std::optional<std::string> again_;  // a request that arrived during a build
  std::atomic<bool> stopped_{false};
  reload_stats stats_;
};

// The milter.* settings that differ between what the server runs with and `next`, by
// their configuration key (milter.timeouts.idle, ...): those apply after a restart.
[[nodiscard]] std::vector<std::string> restart_only_changes(const config::milter_settings& running,
                                                            const config::milter_settings& next);

// The files a configuration depends on: the configuration file itself, the model and
// shadow model bundles, the HMAC key and the model public key.
[[nodiscard]] std::vector<watch_target> watch_targets(const config_source& source, const config::daemon_config& cfg);

// One log line describing a snapshot (event "engine_loaded" or "reloaded"): what caused
// it, the configuration, the model and how long the build took.
void log_engine(const char* event, const config::daemon_config& cfg, const engine::engine& e,
                const std::string& trigger, std::chrono::milliseconds build_time);

}  // namespace mailtriage::daemon

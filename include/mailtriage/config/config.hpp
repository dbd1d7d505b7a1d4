#pragma once
// The daemon's configuration: loaded from YAML, validated completely (unknown keys,
// types, ranges) with errors that name the file, line and key. Plain values; loading
// may throw config_error, nothing else in here does.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mailtriage/milter/socket_spec.hpp"
#include "mailtriage/policy/rules.hpp"
#include "mailtriage/util/log.hpp"

namespace mailtriage::config {

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class failure_action { accept, tempfail, reject };

struct milter_settings {
  milter::socket_spec listen;
  std::uint32_t socket_mode = 0660;
  // Started as root: the unix socket is given to this user (and socket_group), then the
  // daemon switches to it for good. Empty: keep the identity it was started with.
  std::string user;
  std::string socket_group;  // group of the unix socket (e.g. postfix); empty: user's group
  std::size_t max_connections = 1000;
  std::size_t io_threads = 1;
  std::size_t worker_threads = 0;  // 0 = hardware concurrency
  std::size_t max_pending_verdicts = 256;
  std::size_t inline_verdict_bytes = 0;  // judged on the I/O thread up to this size; 0 = never
  std::chrono::milliseconds idle_timeout{600'000};
  std::chrono::milliseconds frame_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds verdict_timeout{5'000};
  std::chrono::milliseconds drain_timeout{30'000};
  std::size_t scan_bytes = 1 << 20;
  std::size_t max_headers = 2000;
  std::size_t max_macro_bytes = 64 << 10;
  std::size_t max_envelope_bytes = 1 << 20;
  std::size_t max_data_size = 65535;
  bool skip_unscanned_body = false;  // answer body chunks to stop the MTA at scan_bytes
  failure_action on_failure = failure_action::accept;
};

struct model_settings {
  std::string path;         // model bundle directory; empty = the built-in default model
  std::string shadow_path;  // optional second model, scored and compared, never acted on
  std::size_t reasons = 5;  // strongest contributions reported per message
  // PEM Ed25519 public key; when set, every model loaded (active and shadow, at start
  // and on reload) needs a manifest.sig that verifies with it, and model.path must be
  // set (the built-in model is not signed).
  std::string public_key_file;
};

// Automatic reloads (SIGHUP always reloads).
struct reload_settings {
  bool watch = true;  // watch the configuration, model and key files for changes
  std::chrono::milliseconds debounce{500};  // quiet time after the last change
};

// The operations endpoint (metrics, health, readiness). Loopback by default: it has
// no authentication, and metrics reveal traffic volumes and model identity.
struct http_settings {
  bool enabled = true;
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 9895;           // 0 = any free port (logged at start-up)
  std::size_t max_connections = 16;
  std::chrono::milliseconds request_timeout{10'000};

  // Sets address and port from "127.0.0.1:9895" or "[::1]:9895", or disables the
  // endpoint for "none". Throws std::invalid_argument saying what is expected.
  void set_listen(std::string_view text);
  [[nodiscard]] std::string listen() const;  // "127.0.0.1:9895" / "[::1]:9895"
};

struct logging_settings {
  log::level level = log::level::info;
  log::format format = log::format::text;
  // Key of the address pseudonyms (16+ bytes). Empty: a random key per process, so
  // pseudonyms do not correlate across restarts.
  std::string pseudonym_key_file;
  bool log_domains = false;   // keep the domain beside the pseudonym
  bool log_subjects = false;  // GDPR opt-in: verdict lines carry the decoded Subject
};

struct daemon_config {
  std::string source;  // file name, or "<built-in>"
  milter_settings milter;
  model_settings model;
  policy::policy_config policy;
  http_settings http;
  logging_settings logging;
  reload_settings reload;
};

// The configuration compiled into the binary (conf/mailtriage.yaml at build time).
[[nodiscard]] std::string_view builtin_yaml();

[[nodiscard]] daemon_config load_file(const std::string& path);
// `source` names the text in error messages.
[[nodiscard]] daemon_config load_text(std::string_view yaml, const std::string& source);

}  // namespace mailtriage::config

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
  std::chrono::milliseconds idle_timeout{600'000};
  std::chrono::milliseconds frame_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  std::chrono::milliseconds verdict_timeout{5'000};
  std::chrono::milliseconds drain_timeout{30'000};
  std::size_t scan_bytes = 1 << 20;
  std::size_t max_headers = 2000;
  std::size_t max_macro_bytes = 64 << 10;
  std::size_t max_data_size = 65535;
  failure_action on_failure = failure_action::accept;
};

struct model_settings {
  std::string path;         // model bundle directory; empty = the built-in default model
  std::string shadow_path;  // optional second model, scored and compared, never acted on
  std::size_t reasons = 5;  // strongest contributions reported per message
};

struct daemon_config {
  std::string source;  // file name, or "<built-in>"
  milter_settings milter;
  model_settings model;
  policy::policy_config policy;
  log::level log_level = log::level::info;
};

// The configuration compiled into the binary (conf/mailtriage.yaml at build time).
[[nodiscard]] std::string_view builtin_yaml();

[[nodiscard]] daemon_config load_file(const std::string& path);
// `source` names the text in error messages.
[[nodiscard]] daemon_config load_text(std::string_view yaml, const std::string& source);

}  // namespace mailtriage::config

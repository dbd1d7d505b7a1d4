#include "mailtriage/config/config.hpp"

#include <fstream>
#include <sstream>

#include "yaml_reader.hpp"

namespace mailtriage::config {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

milter_settings read_milter(yaml_section s) {
  milter_settings m;
  auto listen = milter::parse_socket_spec(s.text("listen", "inet:8895@127.0.0.1"));
  if (!listen) s.fail("listen", listen.error());
  m.listen = listen.value();

  std::string mode = s.text("socket_mode", "0660");
  std::size_t used = 0;
  unsigned long parsed = 0;
  try {
    parsed = std::stoul(mode, &used, 8);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != mode.size() || parsed > 0777) s.fail("socket_mode", "expected an octal mode such as \"0660\"");
  m.socket_mode = static_cast<std::uint32_t>(parsed);

  m.max_connections = s.integer("max_connections", 1000, 1, 100'000);
  m.io_threads = s.integer("io_threads", 1, 1, 64);
  m.worker_threads = s.integer("worker_threads", 0, 0, 256);
  m.max_pending_verdicts = s.integer("max_pending_verdicts", 256, 1, 1'000'000);

  auto t = s.section("timeouts");
  m.idle_timeout = t.duration("idle", 600s, 1s, 24h);
  m.frame_timeout = t.duration("frame", 10s, 100ms, 1h);
  m.write_timeout = t.duration("write", 10s, 100ms, 1h);
  m.verdict_timeout = t.duration("verdict", 5s, 10ms, 280s);
  m.drain_timeout = t.duration("drain", 30s, 0ms, 1h);
  t.finish();

  auto l = s.section("limits");
  m.scan_bytes = l.bytes("scan_bytes", 1 << 20, 1024, 1ull << 30);
  m.max_headers = l.integer("max_headers", 2000, 1, 1'000'000);
  m.max_macro_bytes = l.bytes("max_macro_bytes", 64 << 10, 1024, 64 << 20);
  m.max_data_size = l.bytes("max_data_size", 65535, 65535, 1024 * 1024 - 1);
  l.finish();

  std::string action = s.text("on_failure", "accept");
  if (action == "accept") m.on_failure = failure_action::accept;
  else if (action == "tempfail") m.on_failure = failure_action::tempfail;
  else if (action == "reject") m.on_failure = failure_action::reject;
  else s.fail("on_failure", "expected accept, tempfail or reject, got '" + action + "'");
  s.finish();
  return m;
}

}  // namespace

daemon_config load_text(std::string_view yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw config_error(source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                       ": " + e.msg);
  }
  daemon_config cfg;
  cfg.source = source;
  yaml_section top(root, "", cfg.source);
  cfg.milter = read_milter(top.section("milter"));
  auto logging = top.section("logging");
  std::string level = logging.text("level", "info");
  try {
    cfg.log_level = log::parse_level(level);
  } catch (const std::invalid_argument& e) {
    logging.fail("level", e.what());
  }
  logging.finish();
  top.finish();
  return cfg;
}

daemon_config load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path + ": cannot open configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return load_text(text.str(), path);
}

}  // namespace mailtriage::config

#include "mailtriage/config/config.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "yaml_reader.hpp"
#include "mailtriage/util/ascii.hpp"

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
  // Names only: resolved against the user database when the daemon starts.
  m.user = s.text("user", "");
  m.socket_group = s.text("socket_group", "");

  m.max_connections = s.integer("max_connections", 1000, 1, 100'000);
  m.io_threads = s.integer("io_threads", 1, 1, 64);
  m.worker_threads = s.integer("worker_threads", 0, 0, 256);
  m.max_pending_verdicts = s.integer("max_pending_verdicts", 256, 1, 1'000'000);
  m.inline_verdict_bytes = s.bytes("inline_verdict_bytes", 0, 0, 1ull << 30);
  m.skip_unscanned_body = s.boolean("skip_unscanned_body").value_or(false);

  auto t = s.section("timeouts");
  m.idle_timeout = t.duration("idle", 600s, 1s, 24h);
  m.frame_timeout = t.duration("frame", 10s, 100ms, 1h);
  m.write_timeout = t.duration("write", 10s, 100ms, 1h);
  m.verdict_timeout = t.duration("verdict", 5s, 1ms, 280s);
  m.drain_timeout = t.duration("drain", 30s, 0ms, 1h);
  t.finish();

  auto l = s.section("limits");
  m.scan_bytes = l.bytes("scan_bytes", 1 << 20, 1024, 1ull << 30);
  m.max_headers = l.integer("max_headers", 2000, 1, 1'000'000);
  m.max_macro_bytes = l.bytes("max_macro_bytes", 64 << 10, 1024, 64 << 20);
  m.max_envelope_bytes = l.bytes("max_envelope_bytes", 1 << 20, 1024, 1 << 30);
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

model_settings read_model(yaml_section s) {
  model_settings m;
  m.path = s.text("path", "");
  m.shadow_path = s.text("shadow_path", "");
  m.reasons = s.integer("reasons", 5, 0, 50);
  m.public_key_file = s.text("public_key_file", "");
  if (!m.public_key_file.empty() && m.path.empty())
    s.fail("public_key_file", "signed models are required, but model.path is empty and the built-in model is not "
                              "signed: set model.path to a signed bundle (mailtriage sign)");
  s.finish();
  return m;
}

reload_settings read_reload(yaml_section s) {
  reload_settings r;
  r.watch = s.boolean("watch").value_or(true);
  r.debounce = s.duration("debounce", 500ms, 10ms, 60s);
  s.finish();
  return r;
}

std::string checked_reply(yaml_section& s, const std::string& key, const std::string& text, char klass) {
  // "550 5.7.1 text": a 3-digit code of the right class, then an enhanced status code.
  bool ok = text.size() >= 9 && text[0] == klass && std::isdigit(static_cast<unsigned char>(text[1])) &&
            std::isdigit(static_cast<unsigned char>(text[2])) && text[3] == ' ' && text[4] == klass &&
            text[5] == '.';
  if (!ok)
    s.fail(key, std::string("expected a reply such as \"") + (klass == '5' ? "550 5.7.1" : "451 4.7.1") +
                    " Message refused\"");
  return text;
}

// `discard: true`: the value only confirms the action; `false` would read as "do not",
// which an action list cannot express, so it is refused rather than obeyed wrongly.
void require_true(yaml_section& a, const std::string& key) {
  auto v = a.boolean(key);
  if (v && !*v) a.fail(key, "write 'true' or leave the action out");
}

bool valid_header_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c <= ' ' || c == ':' || static_cast<unsigned char>(c) >= 0x7f) return false;
  return true;
}

policy::action read_action(yaml_section a) {
  auto keys = a.keys();
  if (keys.size() != 1)
    a.fail("", "an action is one key: add_header, subject_prefix, add_recipient, remove_recipients, quarantine, "
               "reject, tempfail, discard or accept");
  const std::string& k = keys.front();
  policy::action act;
  using kind = policy::action::kind;
  if (k == "add_header") {
    auto h = a.section("add_header");
    act.type = kind::add_header;
    act.name = h.text("name", "");
    act.value = h.text("value", "");
    if (!valid_header_name(act.name))
      h.fail("name", "expected a header name without spaces or colons");
    h.finish();
  } else if (k == "subject_prefix") {
    act.type = kind::subject_prefix;
    act.value = a.text(k, "");
  } else if (k == "add_recipient") {
    act.type = kind::add_recipient;
    act.value = a.text(k, "");
    if (act.value.find('@') == std::string::npos) a.fail(k, "expected an address such as review@example.org");
  } else if (k == "remove_recipients") {
    act.type = kind::remove_recipients;
    require_true(a, k);
  } else if (k == "quarantine") {
    act.type = kind::quarantine;
    act.value = a.text(k, "held by mailtriage: {category} {score}");
  } else if (k == "reject") {
    act.type = kind::reject;
    act.value = checked_reply(a, k, a.text(k, "550 5.7.1 Message refused"), '5');
  } else if (k == "tempfail") {
    act.type = kind::tempfail;
    act.value = checked_reply(a, k, a.text(k, "451 4.7.1 Try again later"), '4');
  } else if (k == "discard") {
    act.type = kind::discard;
    require_true(a, k);
  } else if (k == "accept") {
    act.type = kind::accept;
    require_true(a, k);
  } else {
    a.fail(k, "unknown action");
  }
  a.finish();
  return act;
}

policy::rule read_rule(yaml_section r) {
  policy::rule rule;
  rule.source = r.location();
  rule.name = r.text("name", "");
  if (rule.name.empty()) r.fail("name", "every rule needs a name (it appears in logs and headers)");
  auto m = r.section("match");
  rule.when.categories = m.strings("category");
  rule.when.flagged = m.strings("flagged");
  if (auto v = m.real("min_score", 0, 1)) rule.when.min_score = static_cast<float>(*v);
  if (auto v = m.real("max_score", 0, 1)) rule.when.max_score = static_cast<float>(*v);
  rule.when.pii = m.strings("pii");
  for (const auto& p : rule.when.pii)
    if (p != "any" && p != "payment_card" && p != "iban" && p != "us_ssn")
      m.fail("pii", "expected any, payment_card, iban or us_ssn, got '" + p + "'");
  rule.when.sender_domains = m.strings("sender_domain");
  rule.when.recipient_domains = m.strings("recipient_domain");
  if (m.has("min_size")) rule.when.min_size = m.bytes("min_size", 0, 0, 1ull << 40);
  if (m.has("max_size")) rule.when.max_size = m.bytes("max_size", 0, 0, 1ull << 40);
  rule.when.authenticated = m.boolean("authenticated");
  m.finish();
  for (auto& a : r.items("actions")) {
    if (!rule.actions.empty() && rule.actions.back().terminal())
      a.fail("", "nothing can follow reject, tempfail, discard or accept in a rule's actions");
    rule.actions.push_back(read_action(std::move(a)));
  }
  if (rule.actions.empty()) r.fail("actions", "a rule needs at least one action");
  rule.shadow = r.boolean("shadow").value_or(false);
  rule.stop = r.boolean("stop").value_or(false);
  r.finish();
  return rule;
}

policy::policy_config read_policy(yaml_section s) {
  policy::policy_config p;
  auto h = s.section("headers");
  p.headers.prefix = h.text("prefix", p.headers.prefix);
  p.headers.category = h.text("category", p.headers.category);
  p.headers.score = h.text("score", p.headers.score);
  p.headers.reasons = h.text("reasons", p.headers.reasons);
  p.headers.verdict = h.text("verdict", p.headers.verdict);
  p.headers.status = h.text("status", p.headers.status);
  p.headers.max_reasons = h.integer("max_reasons", 5, 0, 20);
  // Our headers must be valid names and carry the prefix, so the anti-forgery step
  // (which removes inbound headers by prefix) covers every one of them.
  for (auto [key, value] : {std::pair<const char*, const std::string*>{"category", &p.headers.category},
                            {"score", &p.headers.score},
                            {"reasons", &p.headers.reasons},
                            {"verdict", &p.headers.verdict},
                            {"status", &p.headers.status}}) {
    if (value->empty()) continue;  // that header is switched off
    if (!valid_header_name(*value)) h.fail(key, "expected a header name without spaces or colons");
    if (!p.headers.prefix.empty() && !util::istarts_with(*value, p.headers.prefix))
      h.fail(key, "must start with the prefix '" + p.headers.prefix + "' so forged copies are removed");
  }
  if (!p.headers.prefix.empty() && !valid_header_name(p.headers.prefix))
    h.fail("prefix", "expected the start of a header name, such as X-Triage-");
  h.finish();
  p.hmac_key_file = s.text("hmac_key_file", "");
  for (auto& r : s.items("rules")) p.rules.push_back(read_rule(std::move(r)));
  s.finish();
  return p;
}

http_settings read_http(yaml_section s) {
  http_settings h;
  const bool enabled = s.boolean("enabled").value_or(true);
  try {
    h.set_listen(s.text("listen", "127.0.0.1:9895"));  // "none" disables too
  } catch (const std::invalid_argument& e) {
    s.fail("listen", e.what());
  }
  h.enabled = h.enabled && enabled;
  h.max_connections = s.integer("max_connections", 16, 1, 1024);
  h.request_timeout = s.duration("request_timeout", 10s, 100ms, 5min);
  s.finish();
  return h;
}

logging_settings read_logging(yaml_section s) {
  logging_settings l;
  try {
    l.level = log::parse_level(s.text("level", "info"));
  } catch (const std::invalid_argument& e) {
    s.fail("level", e.what());
  }
  try {
    l.format = log::parse_format(s.text("format", "text"));
  } catch (const std::invalid_argument& e) {
    s.fail("format", e.what());
  }
  l.pseudonym_key_file = s.text("pseudonym_key_file", "");
  l.log_domains = s.boolean("log_domains").value_or(false);
  l.log_subjects = s.boolean("log_subjects").value_or(false);
  s.finish();
  return l;
}

}  // namespace

void http_settings::set_listen(std::string_view text) {
  if (text == "none") {
    enabled = false;
    return;
  }
  const std::string expected = "expected ADDRESS:PORT such as 127.0.0.1:9895 or [::1]:9895, or none";
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument(expected);
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  bool v6 = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (v6) host = host.substr(1, host.size() - 2);
  unsigned char buf[16];
  std::string h(host);
  if (::inet_pton(v6 ? AF_INET6 : AF_INET, h.c_str(), buf) != 1)
    throw std::invalid_argument(expected + " (the address must be an IP literal)");
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port_text.empty() || p > 65535)
    throw std::invalid_argument(expected);
  address = h;
  port = static_cast<std::uint16_t>(p);
  enabled = true;
}

std::string http_settings::listen() const {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

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
  cfg.model = read_model(top.section("model"));
  cfg.policy = read_policy(top.section("policy"));
  cfg.http = read_http(top.section("http"));
  cfg.logging = read_logging(top.section("logging"));
  cfg.reload = read_reload(top.section("reload"));
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

#include "server_options.hpp"

#include "cpu_budget.hpp"
#include "fallback.hpp"
#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::daemon {

milter::server_options to_server_options(const config::daemon_config& cfg) {
  const auto& m = cfg.milter;
  milter::server_options o;
  o.listen = m.listen;
  o.socket_mode = m.socket_mode;
  o.max_connections = m.max_connections;
  o.io_threads = m.io_threads;
  o.worker_threads = m.worker_threads ? m.worker_threads : default_worker_threads(usable_cpus(), m.io_threads);
  o.max_pending_verdicts = m.max_pending_verdicts;
  o.inline_verdict_bytes = m.inline_verdict_bytes;
  o.idle_timeout = m.idle_timeout;
  o.frame_timeout = m.frame_timeout;
  o.write_timeout = m.write_timeout;
  o.verdict_timeout = m.verdict_timeout;
  o.limits.scan_bytes = m.scan_bytes;
  o.limits.max_headers = m.max_headers;
  o.limits.max_envelope_bytes = m.max_envelope_bytes;
  o.limits.max_macro_bytes = m.max_macro_bytes;
  o.limits.max_data_size = m.max_data_size;
  // Macros the verdict may use, requested per stage (Postfix honours these lists).
  o.wants.macro_lists = {
      {milter::stage::connect, "j {daemon_name} {client_addr} {client_name} {client_ptr} {client_resolve}"},
      {milter::stage::helo, "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}"},
      {milter::stage::envfrom, "i {auth_type} {auth_authen} {auth_author} {mail_addr}"},
      {milter::stage::envrcpt, "{rcpt_addr} {rcpt_mailer}"},
      {milter::stage::data, "i"},
      {milter::stage::eom, "i {msg_id}"},
  };
  o.wants.skip_unscanned_body = m.skip_unscanned_body;
  o.fallback = fallback_for(cfg);
  return o;
}

}  // namespace mailtriage::daemon

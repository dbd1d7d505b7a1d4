#include "daemon_metrics.hpp"

#include <chrono>
#include <string>

#include "reloader.hpp"

namespace mailtriage::daemon {

void register_server_metrics(observability::registry& r, const milter::server& srv) {
  const auto& s = srv.stats();
  r.add_counter_view("mailtriage_milter_connections_accepted_total", "MTA connections accepted.", {},
                     s.connections_accepted);
  r.add_counter_view("mailtriage_milter_connections_refused_total",
                     "MTA connections closed at once because milter.max_connections were open.", {},
                     s.connections_refused);
  r.add_gauge_view("mailtriage_milter_connections_active", "MTA connections open now.", {}, s.connections_active);
  r.add_counter_view("mailtriage_milter_messages_total",
                     "Messages answered at end of message, with a verdict or the fallback action.", {}, s.messages);
  r.add_counter_view("mailtriage_milter_protocol_errors_total",
                     "Connections closed because the MTA broke the milter protocol or a limit.", {},
                     s.protocol_errors);
  r.add_counter_view("mailtriage_milter_timeouts_total",
                     "Connections closed by a deadline (milter.timeouts idle, frame or write).", {}, s.timeouts);
  r.add_counter_view("mailtriage_milter_dropped_modifications_total",
                     "Modifications the MTA did not grant in negotiation, hence not applied.", {},
                     s.dropped_modifications);
  r.add_counter_view("mailtriage_milter_truncated_messages_total",
                     "Messages larger than milter.limits.scan_bytes: judged on their first scan_bytes only.", {},
                     s.truncated_messages);
  for (auto reason : {milter::fallback_reason::no_handler, milter::fallback_reason::overload,
                      milter::fallback_reason::timeout, milter::fallback_reason::error})
    r.add_counter_view("mailtriage_fallbacks_total",
                       "Messages that got milter.on_failure instead of a verdict, by reason.",
                       {{"reason", milter::describe(reason)}}, s.fallbacks[static_cast<int>(reason)]);
  r.add_gauge_fn("mailtriage_milter_pending_verdicts",
                 "Messages queued for or being judged by a worker (overload above milter.max_pending_verdicts).", {},
                 [&srv] { return static_cast<double>(srv.pending_verdicts()); });
  r.add_histogram_view("mailtriage_milter_message_seconds",
                       "MAIL FROM to the final reply, per message: the MTA's whole milter exchange.", {},
                       s.message_seconds);
  r.add_histogram_view("mailtriage_milter_verdict_seconds",
                       "End of message to decision, per message: worker queue and verdict, or the fallback.", {},
                       s.verdict_seconds);
}

void register_reload_metrics(observability::registry& r, const reload_stats& stats) {
  constexpr const char* help =
      "Reloads (SIGHUP or a watched file change) by result: applied, or refused with the running configuration "
      "kept.";
  r.add_counter_view("mailtriage_reloads_total", help, {{"result", "applied"}}, stats.succeeded);
  r.add_counter_view("mailtriage_reloads_total", help, {{"result", "refused"}}, stats.refused);
  r.add_gauge_fn("mailtriage_last_reload_success_timestamp_seconds",
                 "Unix time of the last applied reload; 0 when none since start.", {},
                 [&stats] { return static_cast<double>(stats.last_success_unix.load(std::memory_order_relaxed)); });
}

void register_process_metrics(observability::registry& r, const std::function<observability::readiness()>& ready) {
  r.add_gauge("mailtriage_build_info", "Build facts (value 1).", {{"version", MAILTRIAGE_VERSION}}).set(1);
  r.add_gauge("mailtriage_process_start_time_seconds", "Unix time the daemon started.")
      .set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  r.add_gauge_fn("mailtriage_ready", "1 when /readyz answers 200 (a model loaded, not draining), else 0.", {},
                 [&ready] { return ready().ready ? 1.0 : 0.0; });
}

}  // namespace mailtriage::daemon

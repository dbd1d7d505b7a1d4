#include "mailtriage/engine/engine_metrics.hpp"

#include <chrono>

#include "mailtriage/engine/engine.hpp"

namespace mailtriage::engine {

std::string_view to_string(stage s) {
  switch (s) {
    case stage::mime_parse: return "mime_parse";
    case stage::features: return "features";
    case stage::model: return "model";
    case stage::shadow_model: return "shadow_model";
    case stage::policy: return "policy";
    case stage::verdict: return "verdict";
  }
  return "verdict";
}

engine_metrics::engine_metrics(observability::registry& r) {
  // categories x actions: a few labels times nine replies; 256 leaves room for reloads
  // that bring new labels (old series stay, as Prometheus counters must).
  verdicts_ = &r.add_counter_family("mailtriage_verdicts_total",
                                    "Messages judged by the model, by top category and the final milter action.",
                                    {"category", "action"}, 256);
  for (int i = 0; i < stage_count; ++i)
    stages_[i] = &r.add_histogram("mailtriage_engine_stage_seconds",
                                  "Time spent per message in each stage of the verdict (worker thread).",
                                  observability::latency_buckets(),
                                  {{"stage", std::string(to_string(static_cast<stage>(i)))}});
  for (int i = 0; i < mime::defect_count; ++i)
    defects_[i] = &r.add_counter("mailtriage_mime_defects_total",
                                 "Messages whose MIME parse reported the defect (a message counts once per defect).",
                                 {{"defect", std::string(mime::to_string(static_cast<mime::defect>(i)))}});
  shadow_scored_ = &r.add_counter("mailtriage_shadow_scored_total", "Messages also scored by the shadow model.");
  shadow_disagreements_ = &r.add_counter_family(
      "mailtriage_shadow_disagreements_total",
      "Messages whose top category from the shadow model differs from the active model's.",
      {"active_category", "shadow_category"}, 64);
  model_info_ = &r.add_info("mailtriage_model_info",
                            "The models serving now (value 1): role active or shadow, model id and labels.");
  loaded_at_ = &r.add_gauge("mailtriage_engine_loaded_timestamp_seconds",
                            "Unix time when the serving configuration and model were loaded (start-up or reload).");
}

void engine_metrics::count_verdict(std::string_view category, std::string_view action) const {
  verdicts_->with({category, action}).inc();
}

void engine_metrics::count_defects(mime::defect_set defects) const {
  for (std::uint64_t bits = defects.bits(); bits != 0; bits &= bits - 1) {
    auto i = static_cast<std::size_t>(__builtin_ctzll(bits));
    if (i < defects_.size()) defects_[i]->inc();
  }
}

void engine_metrics::count_shadow(std::string_view active_category, std::string_view shadow_category) const {
  shadow_scored_->inc();
  if (active_category != shadow_category) shadow_disagreements_->with({active_category, shadow_category}).inc();
}

void engine_metrics::describe_models(const engine& e) const {
  auto describe = [](const char* role, const scorer& s) {
    std::string labels;
    for (const auto& l : s.model().info.labels) labels += (labels.empty() ? "" : ",") + l;
    return observability::labels{{"role", role}, {"model_id", s.model().id}, {"labels", labels}};
  };
  std::vector<observability::labels> series{describe("active", e.active())};
  if (const scorer* shadow = e.shadow_model()) series.push_back(describe("shadow", *shadow));
  model_info_->replace(std::move(series));
  loaded_at_->set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace mailtriage::engine

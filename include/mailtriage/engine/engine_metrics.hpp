#pragma once
// What the engine counts and times, registered once per process in the daemon's
// metrics registry and shared by every engine snapshot: a reload builds a new engine
// but keeps this object, so cumulative counters survive it.
//
// Label cardinality is bounded: categories come from the models' labels, actions from
// the milter reply names, defects from mime::defect; each family also has a series cap.
// Thread-safe (atomics; describe_models() takes the info metric's lock).
#include <array>
#include <string_view>

#include "mailtriage/mime/defects.hpp"
#include "mailtriage/observability/metrics.hpp"

namespace mailtriage::engine {

class engine;

enum class stage { mime_parse, features, model, shadow_model, policy, verdict };
inline constexpr int stage_count = static_cast<int>(stage::verdict) + 1;
[[nodiscard]] std::string_view to_string(stage s);

class engine_metrics {
 public:
  // Registers the engine's families in `r`, which must outlive this object.
  explicit engine_metrics(observability::registry& r);

  void observe(stage s, double seconds) const { stages_[static_cast<int>(s)]->observe(seconds); }
  void count_verdict(std::string_view category, std::string_view action) const;
  void count_defects(mime::defect_set defects) const;
  void count_shadow(std::string_view active_category, std::string_view shadow_category) const;
  // mailtriage_model_info for the engine now serving (active and shadow model), and
  // the time it was loaded. Called after start-up and after each successful reload.
  void describe_models(const engine& e) const;

 private:
  observability::counter_family* verdicts_;
  std::array<observability::histogram*, stage_count> stages_{};
  std::array<observability::counter*, mime::defect_count> defects_{};
  observability::counter* shadow_scored_;
  observability::counter_family* shadow_disagreements_;
  observability::info_set* model_info_;
  observability::gauge* loaded_at_;
};

}  // namespace mailtriage::engine

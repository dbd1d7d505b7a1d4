// Fuzz target: parse + extract + the built-in model's verdict must not crash on any
// input; extraction must be deterministic with sorted, in-range, finite columns, and
// the verdict's probabilities finite, in [0, 1] and summing to 1 (violations abort so
// the fuzzer records them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <exception>
#include <memory>
#include <string_view>

#include "mailtriage/engine/load.hpp"
#include "mailtriage/engine/scorer.hpp"
#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/mime/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailtriage;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  features::envelope_facts env;
  env.known = size % 2 == 0;  // exercise both paths
  env.client_address = "192.0.2.1";
  env.helo = raw.substr(0, 16);
  // mime::parse never throws: an exception escapes and the fuzzer reports it.
  mime::message m = mime::parse(raw);
  features::token_names names;
  features::extraction a = features::extract_with_pii(m, env, &names);
  features::feature_vector b = features::extract(m, env);
  if (!(a.vector == b)) std::abort();
  if (a.vector.indices.size() != a.vector.values.size()) std::abort();
  for (std::size_t i = 0; i < a.vector.indices.size(); ++i) {
    if (a.vector.indices[i] >= features::column_count) std::abort();
    if (i > 0 && a.vector.indices[i - 1] >= a.vector.indices[i]) std::abort();
    if (!std::isfinite(a.vector.values[i])) std::abort();
  }
  // The daemon's scorer on the same extraction (fast contributions, as in serving).
  // Never destroyed: XGBoost frees its per-booster thread-local state in its own exit
  // handler, registered at the first prediction; a booster freed after it double-frees.
  static const engine::scorer* scorer = new engine::scorer(engine::builtin_model(), mime::limits{}, 5);
  policy::verdict v = scorer->judge(m, a, false);
  double sum = 0;
  for (const auto& [label, p] : v.probabilities) {
    if (!(p >= 0.0f && p <= 1.0f)) std::abort();
    sum += p;
  }
  if (v.probabilities.empty() || std::fabs(sum - 1.0) > 1e-3) std::abort();
  if (!(v.score == v.probability(v.category))) std::abort();
  return 0;
}

#include "mailtriage/engine/scorer.hpp"

#include <algorithm>
#include <cmath>

#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/mime/parse.hpp"

namespace mailtriage::engine {

scorer::scorer(model::loaded_model model, mime::limits limits, std::size_t reasons)
    : model_(std::move(model)), explainer_(model_.model), limits_(limits), reasons_(reasons) {
  std::vector<bool> named = explainer_.split_columns();
  const std::size_t dense = std::min<std::size_t>(features::dense_count, named.size());
  for (std::size_t c = 0; c < dense; ++c) named[c] = false;  // dense columns have fixed names
  if (model_.info.evidence_base && named.size() > model_.info.evidence_base)
    named.resize(model_.info.evidence_base);  // the naive-Bayes columns are named by label
  named_columns_ = features::column_set(named);
}

features::extraction scorer::extract(const mime::message& msg, const features::envelope_facts& env,
                                     features::token_names& names) const {
  if (reasons_ == 0) return features::extract_with_pii(msg, env);
  return features::extract_with_pii(msg, env, &names, &named_columns_);
}

scoring scorer::score(std::string_view raw, const features::envelope_facts& env, bool exact) const {
  scoring s;
  s.message = mime::parse(raw, limits_);
  features::token_names names;
  s.features = extract(s.message, env, names);
  s.verdict = judge(s.message, s.features, exact, &names);
  return s;
}

policy::verdict scorer::judge(const mime::message& msg, const features::extraction& ex, bool exact,
                              const features::token_names* names) const {
  const auto& info = model_.info;
  // The booster's row: the extractor's vector plus the model's token evidence columns,
  // handed to the walk in two pieces rather than copied together.
  const auto evidence = model_.evidence_values(ex.vector.indices);
  const model::tree_explainer::row row{ex.vector.indices, ex.vector.values, info.evidence_base, evidence};
  policy::verdict out;
  out.model_id = model_.id;
  // The tree walk: XGBoost's in-place prediction costs ~0.6 ms per row at our schema's
  // width (tests check the two agree).
  // One walk gives the probabilities and, for the fast reasons, the top class's
  // contributions.
  // A model trained with sub-classes reports labels: each label's classes summed, and
  // the reasons are those of the reported label's most probable class.
  auto walked = explainer_.walk(row, reasons_ > 0 && !exact, info.class_label);
  const std::size_t top = walked.top;  // a class
  const auto& probs = info.classes.empty() ? walked.probabilities : walked.label_probabilities;
  const std::size_t top_label = walked.top_label;
  out.probabilities.reserve(probs.size());
  for (std::size_t c = 0; c < probs.size(); ++c) {
    out.probabilities.emplace_back(info.labels[c], probs[c]);
    auto t = info.thresholds.find(info.labels[c]);
    if (t != info.thresholds.end() && probs[c] >= t->second.threshold) out.flagged.push_back(info.labels[c]);
  }
  out.category = info.labels[top_label];
  out.score = probs[top_label];
  out.pii.payment_card = ex.pii.payment_cards > 0;
  out.pii.iban = ex.pii.ibans > 0;
  out.pii.us_ssn = ex.pii.us_ssns > 0;

  if (reasons_ == 0) return out;
  // Contributions to the chosen category's margin, strongest first: the tree walk for
  // the daemon, XGBoost's TreeSHAP (a dense row per class) for `explain`.
  std::vector<std::pair<std::uint32_t, float>>& contrib = walked.contributions;
  if (exact) {
    struct {
      std::vector<std::uint32_t> indices;
      std::vector<float> values;
    } v{ex.vector.indices, ex.vector.values};
    model_.prepare(v.indices, v.values);
    auto dense = model_.model.contributions(v.indices, v.values, false);
    const float* block = dense.data() + top * (model_.model.columns() + 1);
    for (std::uint32_t col : v.indices)
      if (block[col] != 0.0f) contrib.emplace_back(col, block[col]);
  }
  // Only the strongest `reasons_` are kept: a partial sort (columns are unique, so the
  // order is total and the kept ones are those a full sort would keep).
  auto stronger = [](const auto& a, const auto& b) {
    float fa = std::fabs(a.second), fb = std::fabs(b.second);
    return fa != fb ? fa > fb : a.first < b.first;
  };
  const std::size_t kept = std::min(reasons_, contrib.size());
  std::partial_sort(contrib.begin(), contrib.begin() + static_cast<std::ptrdiff_t>(kept), contrib.end(), stronger);
  contrib.resize(kept);
  // Hashed columns get their token text when one of them is a reason: from extract()'s
  // names when the caller has them, else from a second extraction pass (costly: the
  // daemon's p99 verdict time when it was always done here).
  features::token_names second_pass;
  bool need_names = std::any_of(contrib.begin(), contrib.end(), [&](const auto& c) {
    return c.first >= features::dense_count && (!info.evidence_base || c.first < info.evidence_base);
  });
  if (need_names && names == nullptr) {
    features::envelope_facts unknown_env;  // the envelope adds no tokens
    (void)features::extract_with_pii(msg, unknown_env, &second_pass);
    names = &second_pass;
  }
  out.reasons.reserve(contrib.size());
  for (const auto& [col, weight] : contrib) {
    std::string name;
    if (info.evidence_base && col >= info.evidence_base)
      name = "token_evidence:" + info.class_name(col - info.evidence_base);  // the naive-Bayes layer
    else
      name = features::describe_column(col, need_names ? names : nullptr);
    out.reasons.push_back(policy::reason{std::move(name), weight});
  }
  return out;
}

}  // namespace mailtriage::engine

#include "mailtriage/model/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <span>

#include "mailtriage/util/json_writer.hpp"

namespace mailtriage::model {
namespace {

// Scores of class c and "is positive" flags over the rows labelled c or negative.
struct one_vs_negative {
  std::vector<float> scores;
  std::unique_ptr<bool[]> positive;
  std::size_t n = 0;
  std::span<const bool> flags() const { return {positive.get(), n}; }
};

// score_of_negative: score rows by 1 - P(negative) instead of P(c).
one_vs_negative against_negative(const std::vector<float>& probs, const std::vector<int>& truth, std::size_t k,
                                 int c, int negative, bool score_of_negative = false) {
  one_vs_negative o;
  o.positive.reset(new bool[truth.size()]);
  for (std::size_t r = 0; r < truth.size(); ++r) {
    if (truth[r] != c && truth[r] != negative) continue;
    o.scores.push_back(score_of_negative ? 1.0f - probs[r * k + static_cast<std::size_t>(negative)]
                                         : probs[r * k + static_cast<std::size_t>(c)]);
    o.positive[o.n++] = truth[r] == c;
  }
  return o;
}

int find_label(const std::vector<std::string>& labels, const std::string& l) {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == l) return static_cast<int>(i);
  return -1;
}

}  // namespace

std::map<std::string, class_threshold> choose_thresholds(const std::vector<float>& probs, const std::vector<int>& truth,
                                                         const std::vector<std::string>& labels,
                                                         const std::string& negative_label, double target_fpr) {
  std::map<std::string, class_threshold> out;
  int negative = find_label(labels, negative_label);
  if (negative < 0) return out;
  for (std::size_t c = 0; c < labels.size(); ++c) {
    if (static_cast<int>(c) == negative) continue;
    auto o = against_negative(probs, truth, labels.size(), static_cast<int>(c), negative);
    out[labels[c]] = class_threshold{target_fpr, threshold_at_fpr(o.scores, o.flags(), target_fpr)};
  }
  return out;
}

evaluation evaluate(const std::vector<float>& probs, const std::vector<int>& truth,
                    const std::vector<std::string>& labels, const std::string& negative_label,
                    const std::map<std::string, class_threshold>& thresholds) {
  const std::size_t k = labels.size();
  evaluation e;
  e.rows = truth.size();
  e.negative = find_label(labels, negative_label);
  e.confusion.assign(k, std::vector<std::size_t>(k, 0));
  std::vector<float> top_p;
  std::unique_ptr<bool[]> top_ok(new bool[truth.size() + 1]);
  std::size_t correct = 0;
  for (std::size_t r = 0; r < truth.size(); ++r) {
    std::size_t best = 0;
    for (std::size_t c = 1; c < k; ++c)
      if (probs[r * k + c] > probs[r * k + best]) best = c;
    e.confusion[static_cast<std::size_t>(truth[r])][best]++;
    top_p.push_back(probs[r * k + best]);
    top_ok[r] = static_cast<int>(best) == truth[r];
    correct += top_ok[r] ? 1 : 0;
  }
  e.accuracy = truth.empty() ? 0 : static_cast<double>(correct) / static_cast<double>(truth.size());
  e.ece = expected_calibration_error(top_p, std::span<const bool>(top_ok.get(), truth.size()));

  for (std::size_t c = 0; c < k; ++c) {
    class_metrics m;
    m.label = labels[c];
    std::size_t tp = e.confusion[c][c], actual = 0, predicted = 0;
    for (std::size_t j = 0; j < k; ++j) {
      actual += e.confusion[c][j];
      predicted += e.confusion[j][c];
    }
    m.support = actual;
    m.precision = predicted ? static_cast<double>(tp) / static_cast<double>(predicted) : 0;
    m.recall = actual ? static_cast<double>(tp) / static_cast<double>(actual) : 0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m.auc = m.recall_at_1pct = m.recall_at_01pct = m.recall_at_001pct = nan;
    m.not_negative_auc = m.not_negative_recall_at_1pct = m.not_negative_recall_at_01pct = nan;
    if (e.negative >= 0 && static_cast<int>(c) != e.negative) {
      auto o = against_negative(probs, truth, k, static_cast<int>(c), e.negative);
      m.auc = roc_auc(o.scores, o.flags());
      m.recall_at_1pct = recall_at_fpr(o.scores, o.flags(), 0.01);
      m.recall_at_01pct = recall_at_fpr(o.scores, o.flags(), 0.001);
      m.recall_at_001pct = recall_at_fpr(o.scores, o.flags(), 0.0001);
      m.roc = roc_curve(o.scores, o.flags());
      auto flagged = against_negative(probs, truth, k, static_cast<int>(c), e.negative, true);
      m.not_negative_auc = roc_auc(flagged.scores, flagged.flags());
      m.not_negative_recall_at_1pct = recall_at_fpr(flagged.scores, flagged.flags(), 0.01);
      m.not_negative_recall_at_01pct = recall_at_fpr(flagged.scores, flagged.flags(), 0.001);
      if (auto t = thresholds.find(m.label); t != thresholds.end()) {
        m.has_threshold = true;
        m.threshold = t->second.threshold;
        m.fpr_at_threshold = false_positive_rate(o.scores, o.flags(), m.threshold);
        m.recall_at_threshold = true_positive_rate(o.scores, o.flags(), m.threshold);
      }
    }
    e.classes.push_back(std::move(m));
  }
  return e;
}

std::string evaluation::to_json() const {
  json_writer w(false);
  w.begin_object();
  w.field("rows", static_cast<std::uint64_t>(rows)).field("accuracy", accuracy).field("ece", ece);
  w.key("classes").begin_object();
  for (const auto& m : classes) {
    w.key(m.label).begin_object();
    w.field("support", static_cast<std::uint64_t>(m.support));
    w.field("precision", m.precision).field("recall", m.recall).field("f1", m.f1);
    w.field("roc_auc", m.auc);
    w.field("recall_at_fpr_1pct", m.recall_at_1pct);
    w.field("recall_at_fpr_0.1pct", m.recall_at_01pct);
    w.field("recall_at_fpr_0.01pct", m.recall_at_001pct);
    w.field("not_negative_roc_auc", m.not_negative_auc);
    w.field("not_negative_recall_at_fpr_1pct", m.not_negative_recall_at_1pct);
    w.field("not_negative_recall_at_fpr_0.1pct", m.not_negative_recall_at_01pct);
    if (m.has_threshold) {
      w.field("threshold", static_cast<double>(m.threshold));
      w.field("fpr_at_threshold", m.fpr_at_threshold).field("recall_at_threshold", m.recall_at_threshold);
    }
    w.end_object();
  }
  w.end_object();
  w.key("confusion").begin_array();
  for (const auto& row : confusion) {
    w.begin_array();
    for (auto n : row) w.value(static_cast<std::uint64_t>(n));
    w.end_array();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

}  // namespace mailtriage::model

#include "mailtriage/model/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace mailtriage::model {

double roc_auc(std::span<const float> scores, std::span<const bool> positive) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double pos = 0, neg = 0, rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    double avg_rank = (static_cast<double>(i) + static_cast<double>(j) + 1.0) / 2.0;  // 1-based ranks i+1..j
    for (std::size_t k = i; k < j; ++k) {
      if (positive[order[k]]) {
        rank_sum += avg_rank;
        ++pos;
      } else {
        ++neg;
      }
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

float threshold_at_fpr(std::span<const float> scores, std::span<const bool> positive, double fpr) {
  std::vector<float> neg;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!positive[i]) neg.push_back(scores[i]);
  if (neg.empty()) return 0.0f;
  std::sort(neg.begin(), neg.end(), std::greater<>());
  // Allow at most floor(fpr * n) negatives at or above the threshold.
  auto allowed = static_cast<std::size_t>(std::floor(fpr * static_cast<double>(neg.size()) + 1e-9));
  // The threshold sits just above the (allowed)-th highest negative.
  float above = neg[std::min(allowed, neg.size() - 1)];
  if (allowed >= neg.size()) return neg.back();
  return std::nextafter(above, std::numeric_limits<float>::infinity());
}

double false_positive_rate(std::span<const float> scores, std::span<const bool> positive, float threshold) {
  double n = 0, fp = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!positive[i]) {
      ++n;
      if (scores[i] >= threshold) ++fp;
    }
  return n == 0 ? 0.0 : fp / n;
}

double true_positive_rate(std::span<const float> scores, std::span<const bool> positive, float threshold) {
  double n = 0, tp = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (positive[i]) {
      ++n;
      if (scores[i] >= threshold) ++tp;
    }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : tp / n;
}

double recall_at_fpr(std::span<const float> scores, std::span<const bool> positive, double fpr) {
  return true_positive_rate(scores, positive, threshold_at_fpr(scores, positive, fpr));
}

double expected_calibration_error(std::span<const float> top_probability, std::span<const bool> top_correct,
                                  std::size_t bins) {
  std::vector<double> conf(bins, 0), acc(bins, 0), count(bins, 0);
  for (std::size_t i = 0; i < top_probability.size(); ++i) {
    auto b = std::min(bins - 1, static_cast<std::size_t>(top_probability[i] * static_cast<float>(bins)));
    conf[b] += top_probability[i];
    acc[b] += top_correct[i] ? 1 : 0;
    count[b] += 1;
  }
  double total = static_cast<double>(top_probability.size()), ece = 0;
  if (total == 0) return 0;
  for (std::size_t b = 0; b < bins; ++b)
    if (count[b] > 0) ece += count[b] / total * std::abs(acc[b] / count[b] - conf[b] / count[b]);
  return ece;
}

std::vector<roc_point> roc_curve(std::span<const float> scores, std::span<const bool> positive,
                                 std::size_t max_points) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  double pos = 0, neg = 0;
  for (bool p : positive) (p ? pos : neg) += 1;
  std::vector<roc_point> all{{0, 0}};
  double tp = 0, fp = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    (positive[order[i]] ? tp : fp) += 1;
    bool last_of_tie = i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
    if (last_of_tie) all.push_back({neg ? fp / neg : 0, pos ? tp / pos : 0});
  }
  if (all.size() <= max_points) return all;
  std::vector<roc_point> out;
  double step = static_cast<double>(all.size() - 1) / static_cast<double>(max_points - 1);
  for (std::size_t k = 0; k < max_points; ++k)
    out.push_back(all[static_cast<std::size_t>(std::round(static_cast<double>(k) * step))]);
  return out;
}

}  // namespace mailtriage::model

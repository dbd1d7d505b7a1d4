#pragma once
// Evaluation metrics for one class against the rest, from scores and truth. Pure.
#include <cstddef>
#include <span>
#include <vector>

namespace mailtriage::model {

// ROC AUC with ties counted half (Mann-Whitney). NaN when a side is empty.
[[nodiscard]] double roc_auc(std::span<const float> scores, std::span<const bool> positive);

// The smallest score threshold whose false-positive rate on the negatives is at most
// `fpr` (score >= threshold is flagged). Returns a value above every negative score
// when fpr allows no negative at all.
[[nodiscard]] float threshold_at_fpr(std::span<const float> scores, std::span<const bool> positive, double fpr);

// Recall of the positives at the threshold threshold_at_fpr() picks.
[[nodiscard]] double recall_at_fpr(std::span<const float> scores, std::span<const bool> positive, double fpr);

// Fraction of negatives with score >= threshold, and of positives.
[[nodiscard]] double false_positive_rate(std::span<const float> scores, std::span<const bool> positive,
                                         float threshold);
[[nodiscard]] double true_positive_rate(std::span<const float> scores, std::span<const bool> positive,
                                        float threshold);

// Expected calibration error of the top-class probability over `bins` equal bins.
[[nodiscard]] double expected_calibration_error(std::span<const float> top_probability,
                                                std::span<const bool> top_correct, std::size_t bins = 15);

// Points of the ROC curve (fpr, tpr), at most `max_points`, for plotting.
struct roc_point {
  double fpr, tpr;
};
[[nodiscard]] std::vector<roc_point> roc_curve(std::span<const float> scores, std::span<const bool> positive,
                                               std::size_t max_points = 200);

}  // namespace mailtriage::model
